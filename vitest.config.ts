import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lab and agent tests share the kernel; keep files sequential on this 2-core machine.
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
