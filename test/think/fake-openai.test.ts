import { describe, expect, it } from 'vitest'
import OpenAI, { APIConnectionTimeoutError } from 'openai'
import { fakeOpenAIPerTest, turns } from '../helpers/fake-openai.ts'

const fake = fakeOpenAIPerTest()

describe('scripted OpenAI-compatible server', () => {
  it('serves the real openai client, records requests, and accounts for its script', async () => {
    const llm = await fake({ model: 'x-model', script: [turns.text('one'), turns.toolCalls({ name: 'memory', arguments: '{"bad":' })] })
    const client = new OpenAI({ baseURL: llm.url, apiKey: 'sk-test', maxRetries: 0 })
    expect((await client.models.list()).data.map(m => m.id)).toEqual(['x-model'])
    const a = await client.chat.completions.create({ model: 'x-model', messages: [{ role: 'user', content: 'hi' }] })
    expect(a.choices[0].message.content).toBe('one')
    expect(() => { llm.assertDone() }).toThrow(/never used/)
    const b = await client.chat.completions.create({ model: 'x-model', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'memory', parameters: {} } }] })
    expect(b.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'memory', arguments: '{"bad":' } })
    llm.assertDone()
    expect(llm.requests[1].body.tools[0].function.name).toBe('memory')
    expect(llm.requests[0].headers.authorization).toBe('Bearer sk-test')
    await expect(client.chat.completions.create({ model: 'x', messages: [] })).rejects.toMatchObject({ status: 500 })
    expect(() => { llm.assertDone() }).toThrow(/after the script ran out/)
  })

  it('injects faults: status codes with Retry-After, garbage, and hangs that end on close', async () => {
    const llm = await fake({ script: [turns.error(429, { retryAfterSeconds: 3 }), turns.garbage(), turns.hang()] })
    const client = new OpenAI({ baseURL: llm.url, apiKey: 'k', maxRetries: 0, timeout: 200 })
    const req = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }] }
    const e429 = await client.chat.completions.create(req).catch(e => e)
    expect(e429).toMatchObject({ status: 429 })
    expect(e429.headers.get('retry-after')).toBe('3')
    const garbage = await client.chat.completions.create(req).catch(e => e)
    expect(garbage?.choices).toBeUndefined()
    await expect(client.chat.completions.create(req)).rejects.toBeInstanceOf(APIConnectionTimeoutError)
    llm.assertDone()
  })
})
