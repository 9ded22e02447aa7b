/**
 * @module Label selectors (meta/v1): matching, a canonical key, and kubectl's text form.
 *
 * API reference (meta/v1 LabelSelector): "matchLabels is a map of {key,value} pairs ... The
 * requirements are ANDed." and "A label selector ... An empty label selector matches all objects."
 * Operators: "In and NotIn ... the values array must be non-empty. If the operator is Exists or
 * DoesNotExist, the values array must be empty." NotIn and DoesNotExist match objects that lack
 * the key (as in apimachinery's labels.Requirement.Matches).
 */
import type { LabelSelector, LabelSelectorRequirement, Labels } from './types.js'

function hasKey(labels: Labels, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key)
}

function matchesRequirement(req: LabelSelectorRequirement, labels: Labels): boolean {
  const present = hasKey(labels, req.key)
  switch (req.operator) {
    case 'In':
      return present && req.values.includes(labels[req.key]!)
    case 'NotIn':
      return !present || !req.values.includes(labels[req.key]!)
    case 'Exists':
      return present
    case 'DoesNotExist':
      return !present
  }
}

/** True when every matchLabels pair and every matchExpressions requirement holds. */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  for (const key of Object.keys(selector.matchLabels)) {
    if (!hasKey(labels, key) || labels[key] !== selector.matchLabels[key]) return false
  }
  for (const req of selector.matchExpressions) {
    if (!matchesRequirement(req, labels)) return false
  }
  return true
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0
}

/** Every label key a selector looks at. */
export function selectorKeys(selector: LabelSelector): string[] {
  return [...Object.keys(selector.matchLabels), ...selector.matchExpressions.map((r) => r.key)]
}

/**
 * kubectl's selector text (`app=web,tier in (a,b),!legacy`), sorted; `{}` for the empty selector,
 * as manifests and the Kubernetes docs write it (kubectl describe's `<none>` reads as "selects
 * nothing", but the empty selector selects everything). The one selector text of every output,
 * and a canonical key: two selectors with the same text select the same objects.
 */
export function formatSelector(selector: LabelSelector): string {
  const parts: string[] = []
  for (const key of Object.keys(selector.matchLabels).sort()) parts.push(`${key}=${selector.matchLabels[key]}`)
  const exprs = selector.matchExpressions.map((r) => {
    const values = [...r.values].sort().join(',')
    switch (r.operator) {
      case 'In':
        return `${r.key} in (${values})`
      case 'NotIn':
        return `${r.key} notin (${values})`
      case 'Exists':
        return r.key
      case 'DoesNotExist':
        return `!${r.key}`
    }
  })
  parts.push(...[...new Set(exprs)].sort())
  return parts.length === 0 ? '{}' : parts.join(',')
}

/** `{a=1, b=2}` for messages. */
export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort()
  return `{${keys.map((k) => `${k}=${labels[k]}`).join(', ')}}`
}
