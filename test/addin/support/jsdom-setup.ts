import { configure } from '@testing-library/dom';

/**
 * jsdom has no layout engine, so it lacks the layout observers Fluent UI's TabList and positioning use.
 * These stand-ins never fire, which matches a page that never resizes.
 */
class NoLayoutObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
  takeRecords(): [] {
    return [];
  }
}

const g = globalThis as Record<string, unknown>;
g.ResizeObserver ??= NoLayoutObserver;
g.IntersectionObserver ??= NoLayoutObserver;
if (typeof window !== 'undefined' && !window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// Views are lazy chunks and the suite shares two cores with the rest of the project: wait patiently for the UI.
configure({ asyncUtilTimeout: 5000 });
