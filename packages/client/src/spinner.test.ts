import { Spinner } from './spinner';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (s: string) => writes.push(s) };
}

describe(Spinner.name, () => {
  it('prints one plain line per change of text when not on a terminal', () => {
    const out = stream(false);
    const s = new Spinner(out);
    ['job a: pending', 'job a: pending', 'job a: running'].forEach((t) => s.update(t));
    s.stop();
    expect(out.writes).toEqual(['job a: pending\n', 'job a: running\n']);
  });

  it('draws the status and time waited on one line on a terminal, and clears it on stop', () => {
    const out = stream(true);
    let t = 0;
    const s = new Spinner(out, true, () => t);
    s.update('job a: pending');
    t = 3_400;
    s.update('job a: running');
    s.stop();
    s.stop();
    expect(out.writes).toEqual(['\r\x1b[2K- job a: pending (0s)', '\r\x1b[2K\\ job a: running (3s)', '\r\x1b[2K']);
  });
});
