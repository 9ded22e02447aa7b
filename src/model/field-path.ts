/**
 * @module Field paths inside an object, written the way the API server writes them
 * (`spec.ingress[0].from[1].ipBlock.except[0]`).
 */

/** Map keys and list indexes from the object's root. */
export type FieldPath = readonly (string | number)[]

export function formatFieldPath(path: FieldPath): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else out += out === '' ? seg : `.${seg}`
  }
  return out
}
