import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { chromium } from 'playwright-core'
import { runCliInProcess } from '../cli/run-cli-in-process.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { generateCluster } from '../../testing/generate-cluster.js'
import { clusterManifests } from '../../testing/cluster-manifests.js'

const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

const ROOT = join(import.meta.dirname, '../..')
const OUT = join(ROOT, 'test-results')

describe('netpol report in headless Chromium', () => {
  it('opens offline without console errors, with the graph, the findings and every policy', async () => {
    mkdirSync(OUT, { recursive: true })
    const file = join(OUT, 'onlineboutique-report.html')
    const cli = await runCliInProcess(['report', 'test/fixtures/corpus/onlineboutique_workloads/input', '-o', file], { cwd: ROOT })
    expect(cli.stderr).toMatch(/wrote .*onlineboutique-report.html/)
    expect(cli.code).toBe(0)
    const html = readFileSync(file, 'utf8')
    // Self-contained: nothing to fetch (one inline script: the filter box).
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link |src="http|href="http|@import/)

    const browser = await chromium.launch({
      // Debian's chromium package; CHROMIUM_PATH for a browser installed elsewhere.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
      const problems: string[] = []
      const requests: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
      })
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url())
      })
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
      expect(problems).toEqual([])
      expect(requests).toEqual([])

      // The graph: one node per workload (12 Deployments) plus the outside, arrows for connections.
      const svg = page.locator('#graph svg')
      await expect(svg.count()).resolves.toBe(1)
      const box = await svg.boundingBox()
      expect(box!.width).toBeGreaterThan(300)
      const nodeTitles = await page.locator('#graph svg g.node title').allTextContents()
      expect(nodeTitles.length).toBe(13)
      expect(await page.locator('#graph svg g.edge').count()).toBe(17)
      expect(await page.locator('#graph svg text', { hasText: 'frontend' }).count()).toBeGreaterThan(0)

      // Findings: a table with a row per finding, naming rules and lines.
      const rows = page.locator('#findings-table tbody tr')
      expect(await rows.count()).toBeGreaterThan(0)
      expect(await page.locator('#findings-table').textContent()).toContain('namespace-without-default-deny')
      // Every policy has its section.
      expect(await page.locator('section.policy').count()).toBe(11)
      expect(await page.locator('#policy-default-frontend-netpol').textContent()).toContain('netpols.yaml:1')

      await page.screenshot({ path: join(OUT, 'onlineboutique-report.png'), fullPage: false })
      await page.locator('#graph').screenshot({ path: join(OUT, 'onlineboutique-report-graph.png') })
    } finally {
      await browser.close()
    }
  })

  it('a big cluster: connections and policies grouped by namespace in collapsed sections, a filter that opens what matches, bounded size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-big-report-'))
    try {
      const cluster = generateCluster({ pods: 600, namespaces: 30, policies: 120, seed: 7 })
      for (const f of clusterManifests(cluster, 'pods', 'json')) writeFileSync(join(dir, f.path), f.text)
      mkdirSync(OUT, { recursive: true })
      const file = join(OUT, 'big-report.html')
      const cli = await runCliInProcess(['report', dir, '-o', file], { cwd: ROOT })
      expect(cli.code).toBe(0)
      const html = readFileSync(file, 'utf8')
      expect(html).not.toMatch(/<script[^>]*\ssrc=|<link |src="http|href="http|@import/)

      const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: BROWSER_ARGS })
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
        const problems: string[] = []
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
        })
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
        expect(problems).toEqual([])
        // Grouped by namespace and collapsed: one section per namespace with connections, all closed.
        const connGroups = page.locator('#connections details.group')
        expect(await connGroups.count()).toBeGreaterThan(10)
        expect(await page.locator('#connections details.group[open]').count()).toBe(0)
        expect(await page.locator('#policies details.group').count()).toBeGreaterThan(5)
        expect(await page.locator('section.policy').count()).toBe(120)
        // Bounded: never more connection rows than the cap, however many connections there are.
        expect(await page.locator('#connections tr[data-filter]').count()).toBeLessThanOrEqual(20_000)
        // The matrix by workload would be too big: namespaces instead (30 <= 80).
        expect(await page.locator('#matrix h2').textContent()).toContain('by namespace')

        // Filter: a namespace name opens its sections and hides the others.
        const ns = (await connGroups.first().locator('summary').textContent())!.split(' ')[0]
        await page.fill('#filter', ns)
        const open = page.locator('#connections details.group[open]')
        expect(await open.count()).toBeGreaterThan(0)
        for (const text of await open.allTextContents()) expect(text).toContain(ns)
        const visibleRows = page.locator('#connections details.group[open] tr[data-filter]:not([hidden])')
        expect(await visibleRows.count()).toBeGreaterThan(0)
        expect(await page.locator('#connections details.group:not([hidden])').count()).toBeLessThan(await connGroups.count())
        // Cleared: everything back, closed.
        await page.fill('#filter', '')
        expect(await page.locator('#connections details.group[open]').count()).toBe(0)
        expect(await page.locator('#connections details.group[hidden]').count()).toBe(0)
        expect(problems).toEqual([])
      } finally {
        await browser.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
