/**
 * Test helper: a case table's manifests as a ClusterState, through the real loader (YAML 1.1,
 * validation, defaulting), exactly as the CLI reads them.
 */
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import type { ClusterState } from '../../src/model/types.js'

export function buildState(yamlText: string, file = 'case.yaml'): ClusterState {
  return loadManifestText(yamlText, { file }).state
}
