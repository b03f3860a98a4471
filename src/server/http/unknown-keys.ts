import type { z } from 'zod';

/** What a zod schema looks like from inside (zod 4's `_zod.def`), as far as finding unknown keys needs. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The path of the first key in `value` that `schema` does not declare (zod strips such keys silently), or null.
 * The API's schemas are shared with the pane and stay plain `z.object`s; the server checks strictness here, once,
 * for every body, so a misspelt or stale field is refused with its name instead of being ignored. Objects that
 * declare a catch-all (`z.looseObject`, `.catchall()`) accept any key.
 */
export function firstUnknownKey(schema: z.ZodType, value: unknown, path: string[] = [], depth = 0): string[] | null {
  if (depth > 32) return null;
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      if (!isRecord(value) || !def.shape) return null;
      const catchallType = def.catchall ? defOf(def.catchall).type : undefined;
      for (const key of Object.keys(value)) {
        // Own keys only: `toString`, `constructor`… are on every object's prototype, not in the schema (a body
        // {"toString":{}} was taken for a declared field and answered with a 500).
        const field = Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
        if (!field) {
          if (catchallType === undefined || catchallType === 'never') return [...path, key];
          continue;
        }
        const inner = firstUnknownKey(field, value[key], [...path, key], depth + 1);
        if (inner) return inner;
      }
      return null;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return def.innerType ? firstUnknownKey(def.innerType, value, path, depth + 1) : null;
    case 'pipe':
      return def.in ? firstUnknownKey(def.in, value, path, depth + 1) : null;
    case 'lazy':
      return def.getter ? firstUnknownKey(def.getter(), value, path, depth + 1) : null;
    case 'array':
      if (!Array.isArray(value) || !def.element) return null;
      for (let i = 0; i < value.length; i++) {
        const inner = firstUnknownKey(def.element, value[i], [...path, String(i)], depth + 1);
        if (inner) return inner;
      }
      return null;
    case 'record':
      if (!isRecord(value) || !def.valueType) return null;
      for (const [k, v] of Object.entries(value)) {
        const inner = firstUnknownKey(def.valueType, v, [...path, k], depth + 1);
        if (inner) return inner;
      }
      return null;
    case 'union': {
      // The value is fine if one alternative that accepts it declares all its keys.
      let first: string[] | null = null;
      for (const option of def.options ?? []) {
        if (!option.safeParse(value).success) continue;
        const inner = firstUnknownKey(option, value, path, depth + 1);
        if (!inner) return null;
        first ??= inner;
      }
      return first;
    }
    default:
      return null;
  }
}
