/** Render's rules for env vars (contracts README and recorded traffic). */
import type { TargetRules } from '../core/rules.ts';

export const renderRules: TargetRules = {
  checkKey: (key) => (key.length === 0 ? 'empty names are not allowed' : undefined),
  checkValue: (value) =>
    value.length === 0 ? 'Render rejects empty values; give it a value or exclude it' : undefined,
};
