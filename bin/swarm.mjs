#!/usr/bin/env node
// Entry point for the `swarm` command. TypeScript sources run through tsx so a
// checkout works right after `npm install`, with no build step to forget.
const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(`swarm: needs Node.js >= 22 (this is ${process.version}); run it as \`npx swarm\` from the checkout, which uses the Node 22 installed by npm\n`)
  process.exit(1)
}
const { register } = await import('tsx/esm/api')
register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
