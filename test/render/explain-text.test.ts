import { describe, it, expect } from 'vitest'
import { renderExplainText } from '../../src/render/explain-text.js'
import type { Explanation } from '../../src/analyze/explain.js'

const denied: Explanation = {
  from: 'prod/web-0',
  to: 'prod/db-0',
  port: 5432,
  protocol: 'TCP',
  allowed: false,
  loopback: false,
  fromNode: false,
  summary: 'prod/web-0 -> prod/db-0 on 5432/TCP is denied by the ingress of prod/db-0',
  egress: { direction: 'Egress', endpoint: 'prod/web-0', enforced: true, isolated: false, allowed: true, summary: 'not isolated', policies: [] },
  ingress: {
    direction: 'Ingress',
    endpoint: 'prod/db-0',
    enforced: true,
    isolated: true,
    allowed: false,
    summary: 'isolated by one policy',
    policies: [
      {
        policy: 'prod/deny',
        source: 'np.yaml:1',
        allowed: false,
        allowedBy: [],
        misses: [{ rule: null, reason: 'no-rules', detail: 'the policy has no ingress rules', source: 'np.yaml:1' }],
      },
      {
        policy: 'prod/db',
        source: 'np.yaml:9',
        allowed: false,
        allowedBy: [],
        misses: [{ rule: 'ingress[0]', reason: 'peer', detail: 'peer prod/web-0 matches none of 1 peer', source: 'np.yaml:14' }],
      },
    ],
  },
}

describe('renderExplainText', () => {
  it('leads with the verdict, then each side with its policies and why each did not match', () => {
    const text = renderExplainText(denied)
    const lines = text.split('\n')
    expect(lines[0]).toBe('prod/web-0 -> prod/db-0 on 5432/TCP: DENIED')
    expect(text).toContain('Egress of prod/web-0: ALLOWED (not isolated)')
    expect(text).toContain('Ingress of prod/db-0: DENIED (isolated)')
    expect(text).toContain('  - policy prod/deny (np.yaml:1): does not allow\n      the policy has no ingress rules')
    expect(text).toContain('      ingress[0] (np.yaml:14): peer prod/web-0 matches none of 1 peer')
    expect(text).not.toContain('\u001b[')
  })
  it('shows the allowing rule with its peer and port', () => {
    const allowed: Explanation = {
      ...denied,
      allowed: true,
      ingress: {
        ...denied.ingress,
        allowed: true,
        policies: [
          {
            policy: 'prod/db',
            source: 'np.yaml:9',
            allowed: true,
            allowedBy: [{ rule: 'ingress[0]', source: 'np.yaml:12', peer: 'from[0]: pods app=web in namespace prod', port: 'ports[0]: 5432/TCP' }],
            misses: [],
          },
        ],
      },
    }
    expect(renderExplainText(allowed)).toContain(
      '  + policy prod/db (np.yaml:9): allows\n      ingress[0] (np.yaml:12) matches: peer from[0]: pods app=web in namespace prod; port ports[0]: 5432/TCP',
    )
  })
  it('shows the sides of a loopback connection as not applied', () => {
    const text = renderExplainText({ ...denied, to: 'prod/web-0', allowed: true, loopback: true, summary: 'loopback' })
    expect(text.split('\n')[0]).toBe('prod/web-0 -> prod/web-0 on 5432/TCP: ALLOWED')
    expect(text).toContain('Ingress of prod/db-0: would be denied (isolated; not applied to loopback)')
  })
  it('colours the verdict only when asked', () => {
    expect(renderExplainText(denied, { colour: true })).toContain('\u001b[31mDENIED\u001b[0m')
  })
})
