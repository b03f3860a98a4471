/**
 * The dependency rules of .dependency-cruiser.cjs are what `npm run lint` enforces. This test proves the
 * check bites: a fixture tree with one forbidden import per rule must fail, and the real tree must pass.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(__dirname, '..', '..');
const depcruise = path.join(root, 'node_modules', '.bin', 'depcruise');
const config = path.join(root, '.dependency-cruiser.cjs');

function cruise(cwd: string): { status: number | null; output: string } {
  const r = spawnSync(depcruise, ['src', '--config', config, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('architecture boundaries', () => {
  it('pass on the real source tree', () => {
    const r = cruise(root);
    expect(r.output).not.toMatch(/error /);
    expect(r.status).toBe(0);
  }, 60_000);

  it('fail when the engine or the pane imports the server, or production code the engine’s test doubles', () => {
    const r = cruise(path.join(__dirname, 'fixture'));
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('sync-is-pure');
    expect(r.output).toContain('addin-stays-in-the-browser');
    expect(r.output).toMatch(/sync-testing-only-for-tests-and-bench: src\/server\/store\.ts/);
  }, 60_000);

  it('fail when an HTTP handler or a CLI command goes around the services to the engine', () => {
    const r = cruise(path.join(__dirname, 'fixture'));
    expect(r.output).toMatch(
      /entry-points-use-services: src\/server\/http\/handlers\/sync\.ts → src\/server\/runs\/engine\.ts/,
    );
    expect(r.output).toMatch(/entry-points-use-services: src\/server\/cli\/sync\.ts → src\/sync\/planner\.ts/);
  }, 60_000);
});
