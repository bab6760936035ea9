/** tools/fetch-models.ts run as a child process in a throw-away repository layout (no network needed). */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tsxArgs } from './lib/tsx';

const SHA = 'e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd';
const realModel = [
  path.join(__dirname, '..', 'models', 'yolox_nano.onnx'),
  path.join(__dirname, '..', '..', 'shared', 'models', 'yolox_nano.onnx'),
].find((p) => fs.existsSync(p));
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('tools/fetch-models.ts', () => {
  let root: string;
  let repo: string;
  let shared: string;
  const run = () =>
    spawnSync(process.execPath, tsxArgs(path.join(repo, 'tools', 'fetch-models.ts')), {
      encoding: 'utf8',
      timeout: 30_000,
    });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fetch-models-'));
    repo = path.join(root, 'repo');
    shared = path.join(root, 'shared', 'models');
    fs.mkdirSync(path.join(repo, 'tools'), { recursive: true });
    fs.mkdirSync(shared, { recursive: true });
    fs.copyFileSync(path.join(__dirname, 'fetch-models.ts'), path.join(repo, 'tools', 'fetch-models.ts'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('copies the model from ../shared/models, checks its sha256, and leaves a good copy alone next time', () => {
    if (!realModel) throw new Error('yolox_nano.onnx not found in models/ or ../shared/models');
    fs.copyFileSync(realModel, path.join(shared, 'yolox_nano.onnx'));
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/ready \(from .*shared.*sha256 ok\)/);
    expect(sha256(path.join(repo, 'models', 'yolox_nano.onnx'))).toBe(SHA);
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/already present/);
  });

  it('refuses a copy with the wrong sha256 and leaves nothing behind', () => {
    fs.writeFileSync(path.join(shared, 'yolox_nano.onnx'), 'not a model');
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/sha256 mismatch/);
    expect(result.stderr).toContain(SHA);
    expect(fs.readdirSync(path.join(repo, 'models'))).toEqual([]);
  });

  it('replaces a damaged model already in models/', () => {
    if (!realModel) throw new Error('yolox_nano.onnx not found');
    fs.copyFileSync(realModel, path.join(shared, 'yolox_nano.onnx'));
    fs.mkdirSync(path.join(repo, 'models'));
    fs.writeFileSync(path.join(repo, 'models', 'yolox_nano.onnx'), 'damaged');
    expect(run().status).toBe(0);
    expect(sha256(path.join(repo, 'models', 'yolox_nano.onnx'))).toBe(SHA);
  });
});
