// JSON schemas of the API (validation and the OpenAPI page).
import { TASKS } from './types.js';

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'integer' } },
  required: ['error', 'message'],
} as const;

const stringList = { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 64 } as const;

export const jobSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task'],
  properties: {
    run: { type: 'string', maxLength: 128 },
    task: { type: 'string', enum: [...TASKS] },
    inputs: {
      type: 'object',
      additionalProperties: false,
      properties: {
        text: { type: 'string', maxLength: 100000 },
        image: { type: 'string', maxLength: 1024 },
        audio: { type: 'string', maxLength: 1024 },
        images: stringList,
        clips: stringList,
        config: { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'object' }] },
        dataset: { type: 'string', maxLength: 128 },
      },
    },
    params: {
      type: 'object',
      additionalProperties: false,
      properties: {
        n: { type: 'integer' },
        seed: { type: 'integer' },
        beam: { type: 'integer' },
        to: { type: 'array', items: { type: 'string', enum: ['text', 'image', 'audio'] }, maxItems: 3 },
        set: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 32 },
        name: { type: 'string', maxLength: 128 },
      },
    },
  },
} as const;

export const resultSchema = {
  type: 'object',
  properties: {
    files: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: { type: 'string' }, url: { type: 'string' }, index: { type: 'integer' } },
      },
    },
    texts: { type: 'array', items: { type: 'string' } },
    run: { type: 'string' },
    metrics: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;

export const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
    spec: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
    progress: {
      type: 'object',
      properties: {
        step: { type: 'integer' },
        total: { type: 'integer' },
        losses: { type: 'object', additionalProperties: { type: 'number' } },
      },
    },
    result: resultSchema,
    error: { type: 'string' },
    worker: { type: 'string' },
    attempts: { type: 'integer' },
  },
} as const;

export const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    recipe: { type: 'string' },
    modalities: {
      type: 'object',
      properties: {
        inputs: { type: 'array', items: { type: 'string' } },
        outputs: { type: 'array', items: { type: 'string' } },
      },
    },
    capabilities: { type: 'array', items: { type: 'string' } },
    dataset: { type: 'string' },
    step: { type: 'integer' },
    updatedAt: { type: 'string' },
    metrics: { type: 'object', additionalProperties: { type: 'number' } },
    latestSample: { type: 'string' },
  },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 200 } },
} as const;
