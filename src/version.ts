import { readFileSync } from 'node:fs'

/** The package version, advertised in presence so mixed-version fleets are visible. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
