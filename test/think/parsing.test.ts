import { describe, expect, it } from 'vitest'
import { callKey, jsonValuesIn, parseArguments } from '../../src/think/json-scan.ts'
import { textToolCalls } from '../../src/think/text-tool-calls.ts'
import { readFinalAnswer } from '../../src/think/final-answer.ts'
import { stripReasoning } from '../../src/think/agent.ts'

const known = new Set(['disk_usage', 'memory', 'dns_check'])

describe('model text parsing', () => {
  it('finds JSON among prose, strings with braces included', () => {
    expect(jsonValuesIn('a {"x": "}{"} b [1, 2] c {broken')).toEqual([{ x: '}{' }, [1, 2]])
  })

  it('parses arguments leniently but never guesses', () => {
    expect(parseArguments('')).toEqual({ ok: true, args: {} })
    expect(parseArguments('"{\\"path\\": \\"/\\"}"')).toEqual({ ok: true, args: { path: '/' } })
    expect(parseArguments('```json\n{"path": "/"}\n```')).toEqual({ ok: true, args: { path: '/' } })
    expect(parseArguments('{"path": "/",')).toMatchObject({ ok: false })
    expect(parseArguments('[1]')).toMatchObject({ ok: false })
    expect(callKey('t', { b: 1, a: { d: 2, c: 3 } })).toBe(callKey('t', { a: { c: 3, d: 2 }, b: 1 }))
  })

  it('recognises the common text tool-call shapes, only for known tools', () => {
    expect(textToolCalls('<tool_call>\n{"name": "memory", "arguments": {}}\n</tool_call>', known)).toEqual([{ id: '', name: 'memory', arguments: '{}' }])
    expect(textToolCalls('[TOOL_CALLS] [{"name": "dns_check", "arguments": {"names": ["a.b"]}}]', known)[0]).toMatchObject({ name: 'dns_check', arguments: '{"names":["a.b"]}' })
    expect(textToolCalls('<|python_tag|>{"type": "function", "function": {"name": "disk_usage", "parameters": {"path": "/"}}}', known)[0]).toMatchObject({ name: 'disk_usage' })
    expect(textToolCalls('{"tool": "rm", "args": {}}', known)).toEqual([])
    expect(textToolCalls('Disk is fine. {"findings": []}', known)).toEqual([])
  })

  it('reads the final answer: prose kept, findings validated, bare JSON accepted', () => {
    const a = readFinalAnswer('All fine.\n```json\n{"findings": [{"severity": "INFO", "title": "ok", "evidence": [1], "claims": [{"metric": "m", "subject": 5, "value": 1, "unit": null}]}]}\n```')
    expect(a).toMatchObject({ answer: 'All fine.', structured: true, rejected: 0 })
    expect(a.findings[0]).toEqual({ severity: 'info', title: 'ok', detail: '', evidence: ['1'], claims: [{ metric: 'm', subject: '5', value: 1, unit: undefined }] })
    const b = readFinalAnswer('{"summary": "short", "findings": [{"severity": "bad"}]}')
    expect(b).toMatchObject({ answer: 'short', findings: [], rejected: 1 })
    expect(readFinalAnswer('no structure at all')).toMatchObject({ answer: 'no structure at all', findings: [], structured: false })
  })

  it('drops reasoning blocks and survives pathological brackets quickly', () => {
    expect(stripReasoning('<think>maybe {"name": "memory"}</think>\nAll good.')).toBe('All good.')
    expect(stripReasoning('<think>never closed')).toBe('')
    const t = performance.now()
    expect(jsonValuesIn('{'.repeat(50_000))).toEqual([])
    expect(performance.now() - t).toBeLessThan(2000)
  })
})
