/** @module YAML output of plain data, in the block style kubectl prints. */
import { stringify } from 'yaml'

export function renderYaml(data: unknown): string {
  return stringify(data, { lineWidth: 0, indentSeq: false })
}
