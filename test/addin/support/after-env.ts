// Whole-pane renders with user-event are slow in jsdom on a shared two-core machine.
jest.setTimeout(30000);
