import { InferenceSession } from 'onnxruntime-node';

/**
 * One ONNX Runtime session per model file and thread count per process, shared by every PaddleOcr instance:
 * loading the two models takes a noticeable fraction of a second and tens of MB, so a job, a test or a second
 * engine instance must not pay for it again. Reference-counted so the last close() frees the native memory.
 */
interface Entry {
  session: Promise<InferenceSession>;
  users: number;
}

const sessions = new Map<string, Entry>();

export interface SessionLease {
  session: InferenceSession;
  release(): Promise<void>;
}

export async function acquireSession(modelPath: string, intraOpThreads: number): Promise<SessionLease> {
  const key = `${modelPath}#${intraOpThreads}`;
  let entry = sessions.get(key);
  if (!entry) {
    const created: Entry = { session: InferenceSession.create(modelPath, sessionOptions(intraOpThreads)), users: 0 };
    sessions.set(key, created);
    // A failed load must not stay cached: the next caller gets a fresh attempt (and its own error).
    created.session.catch(() => {
      if (sessions.get(key) === created) sessions.delete(key);
    });
    entry = created;
  }
  entry.users++;
  const held = entry;
  let session: InferenceSession;
  try {
    session = await held.session;
  } catch (err) {
    held.users--;
    throw err;
  }
  let released = false;
  return {
    session,
    release: async () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users === 0 && sessions.get(key) === held) {
        sessions.delete(key);
        await session.release();
      }
    },
  };
}

function sessionOptions(intraOpThreads: number): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    // Idle ONNX Runtime workers busy-wait by default; the YOLO detector's session shares these cores, so
    // spinning threads here would steal CPU from it between our runs.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
