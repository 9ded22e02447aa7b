/**
 * @module Which Kubernetes release's validation rules to apply (`--kube-version`, `$NETPOL_KUBE_VERSION`).
 *
 * Only rules that changed between releases depend on it; everything else is the same in every
 * release netpol accepts. The newest stable release is the default.
 */

export interface KubeVersion {
  readonly major: number
  readonly minor: number
}

/** The newest stable Kubernetes release when this netpol was made (1.38 is due 2026-12-16). */
export const NEWEST_KUBE_VERSION: KubeVersion = { major: 1, minor: 37 }

/** The oldest release whose rules netpol knows (networking.k8s.io/v1 with endPort GA is 1.25; older ones did not differ for what netpol reads). */
export const OLDEST_KUBE_VERSION: KubeVersion = { major: 1, minor: 16 }

/**
 * The StrictIPCIDRValidation feature gate (KEP-4858) is on by default from 1.36 (alpha, off, in
 * 1.33-1.35; GA in 1.38): from then on an IP or CIDR with leading zeros, an IPv4-mapped IPv6 address
 * or bits set beyond the prefix length is an error; before, the API server accepted it (1.33-1.35
 * with a warning).
 */
export const STRICT_CIDR_SINCE: KubeVersion = { major: 1, minor: 36 }

/** The rules that depend on the release. */
export interface ValidationRules {
  readonly kubeVersion: KubeVersion
  /** Leading zeros, IPv4-mapped IPv6 and host bits in ipBlock CIDRs are errors (else warnings). */
  readonly strictCidr: boolean
  /** NetworkPolicy has a `status` field (alpha in 1.24-1.26, removed in 1.27): elsewhere strict decoding rejects it. */
  readonly networkPolicyStatus: boolean
}

export function atLeast(v: KubeVersion, min: KubeVersion): boolean {
  return v.major > min.major || (v.major === min.major && v.minor >= min.minor)
}

export function formatKubeVersion(v: KubeVersion): string {
  return `${v.major}.${v.minor}`
}

export function validationRules(kubeVersion: KubeVersion = NEWEST_KUBE_VERSION): ValidationRules {
  return {
    kubeVersion,
    strictCidr: atLeast(kubeVersion, STRICT_CIDR_SINCE),
    networkPolicyStatus: atLeast(kubeVersion, { major: 1, minor: 24 }) && !atLeast(kubeVersion, { major: 1, minor: 27 }),
  }
}

/** The newest release's rules: the default everywhere. */
export const DEFAULT_VALIDATION_RULES: ValidationRules = validationRules()

/**
 * `1.35`, `v1.35` or `v1.35.2` (the patch level changes no rule); undefined with the reason when
 * it is not a version, or one netpol has no rules for.
 */
export function parseKubeVersion(text: string): { ok: true; version: KubeVersion } | { ok: false; error: string } {
  const m = /^v?([0-9]{1,3})\.([0-9]{1,3})(?:\.[0-9]{1,4})?$/.exec(text.trim())
  if (!m) return { ok: false, error: `${JSON.stringify(text)} is not a Kubernetes version (write MAJOR.MINOR, e.g. ${formatKubeVersion(NEWEST_KUBE_VERSION)})` }
  const version = { major: Number(m[1]), minor: Number(m[2]) }
  if (!atLeast(version, OLDEST_KUBE_VERSION) || version.major !== 1) {
    return {
      ok: false,
      error:
        `${JSON.stringify(text)}: netpol knows the rules of Kubernetes ${formatKubeVersion(OLDEST_KUBE_VERSION)} to ` +
        `${formatKubeVersion(NEWEST_KUBE_VERSION)} (and applies the newest to later 1.x releases)`,
    }
  }
  return { ok: true, version }
}

/**
 * For objects an API server already accepted (a live cluster): values that an older release
 * stored stay readable after an upgrade (the API server ratchets them too), with a warning.
 */
export const STORED_OBJECT_RULES: ValidationRules = { ...validationRules(NEWEST_KUBE_VERSION), strictCidr: false }
