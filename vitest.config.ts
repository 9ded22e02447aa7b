import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Finds kube-apiserver, etcd and kubectl for test/control-plane (skipped, with one line, without them).
    globalSetup: ['test/control-plane/global-setup.ts'],
    // Lab, data plane and agent test files each create their own uniquely named network
    // namespaces, so test files may run in parallel.
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
})
