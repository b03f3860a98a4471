// Real servers answer in hundreds of milliseconds, and a scenario makes many calls.
jest.setTimeout(120_000);
