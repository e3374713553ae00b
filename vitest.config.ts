import { defineConfig } from 'vitest/config'

// Two projects: fast unit tests run in parallel; multi-peer tests that build network
// namespaces run one file at a time, since each starts several real peers on 2 cores.
export default defineConfig({
  test: {
    // under CI a JSON report too, from which .ci/run prints one 'N passed, N failed' line
    reporters: process.env.CI === 'true' ? ['default', ['json', { outputFile: '.ci/results.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.netns.test.ts', 'node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000
        }
      },
      {
        test: {
          name: 'netns',
          include: ['test/**/*.netns.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000
        }
      }
    ]
  }
})
