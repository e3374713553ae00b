/** Reads recorded (linux/) and documented (darwin/) outputs under test/fixtures/tools. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const FIXTURES = fileURLToPath(new URL('../fixtures/tools/', import.meta.url))
export const fixture = (path: string): string => readFileSync(`${FIXTURES}${path}`, 'utf8')
export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const NODE = `${REPO}node_modules/.bin/node`
