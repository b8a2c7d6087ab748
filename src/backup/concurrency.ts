/** A slot of `max`, taken now or when one is given back (FIFO); the returned function gives it back, once. */
export type Semaphore = () => Promise<() => void>;

export function createSemaphore(max: number): Semaphore {
  const size = Math.max(1, Math.floor(max));
  let active = 0;
  const waiting: (() => void)[] = [];
  return async () => {
    if (active < size) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = waiting.shift();
      if (next === undefined) active -= 1;
      else next();
    };
  };
}

/** Runs a task when one of `max` slots is free; waiting tasks start in the order they asked (FIFO). */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(max: number): Limiter {
  const slot = createSemaphore(max);
  return async (task) => {
    const release = await slot();
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/**
 * Interleaves items by key (first item of each key, then the second of each, ...), keeping the
 * order within a key and the keys in order of first appearance, so one big key cannot starve the rest.
 */
export function roundRobin<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  const out: T[] = [];
  const queues = [...groups.values()];
  for (let round = 0; out.length < items.length; round += 1) {
    for (const queue of queues) {
      if (round < queue.length) out.push(queue[round] as T);
    }
  }
  return out;
}
