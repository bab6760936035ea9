// Resident memory of another process, read from /proc (Linux), sampled on a timer: the figure the
// memory targets are about, as the kernel sees it, not as the process reports it.
import fs from 'node:fs';

/** VmRSS of `pid` in MB, or undefined once the process is gone. */
export function rssMb(pid: number | undefined): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples every `intervalMs` until stop(); stop() returns { peak, min, mean, last, samples }. */
export interface RssSummary {
  peak: number;
  min: number;
  mean: number;
  last: number;
  samples: number;
}

export function sampleRss(pid: number | undefined, intervalMs = 50) {
  const samples: number[] = [];
  const take = () => {
    const v = rssMb(pid);
    if (v !== undefined) samples.push(v);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    stop(): RssSummary {
      clearInterval(timer);
      take();
      return summary(samples);
    },
  };
}

function summary(samples: number[]): RssSummary {
  if (samples.length === 0) return { peak: NaN, min: NaN, mean: NaN, last: NaN, samples: 0 };
  return {
    peak: Math.max(...samples),
    min: Math.min(...samples),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    last: samples[samples.length - 1],
    samples: samples.length,
  };
}
