/** Loads one thing for an admin panel: data, error sentence and a reload function. */
import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../../api/describe-error';

export function useLoad<T>(load: () => Promise<T>): {
  data: T | null;
  error: string | null;
  reload(): void;
  set(v: T): void;
} {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    setError(null);
    load().then(setData, (err: unknown) => setError(describeError(err)));
  }, [load]);
  useEffect(reload, [reload]);
  return { data, error, reload, set: setData };
}
