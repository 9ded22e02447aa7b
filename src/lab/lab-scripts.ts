/**
 * @module Where the programs the lab starts inside namespaces live (compiled JavaScript in dist/).
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { EnvironmentError } from '../model/errors.js'

export type LabScript = 'pod-server-main' | 'prober-main' | 'deny-log-collector-main' | 'lab-kubelet-main'

/**
 * Next to this module when running compiled; from the TypeScript sources (tests) the compiled copy
 * under dist/ of the same checkout.
 */
export function labScriptPath(name: LabScript): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, `${name}.js`), join(here, '..', '..', 'dist', 'src', 'lab', `${name}.js`)]
  for (const c of candidates) if (existsSync(c)) return c
  throw new EnvironmentError(`the lab's ${name}.js is not built (looked in ${candidates.join(', ')}); run \`npm run build\` first`)
}
