// Build-time variables as the builder sees them at each instruction of a stage: ARG defaults
// (a stage's `ARG NAME` takes the global default), ENV values with `$VAR` references resolved,
// and the USER in effect. `ARG NODE_ENV=production` + `ENV NODE_ENV $NODE_ENV` is production.
import { baseChain, substituteArgs, type ParsedDockerfile, type ParsedInstruction } from '../dockerfile/parse';
import { envPairs } from '../refactor/mounts';

export interface StageVars {
  /** ARG and ENV values in effect (ENV wins over ARG), resolved. */
  vars: Map<string, string>;
  /** Names set by ENV (they reach the running container and every RUN). */
  env: Map<string, string>;
  user: string | null;
}

/** `ARG A=1 B` as pairs (null: no default). */
function argPairs(ins: ParsedInstruction): [string, string | null][] {
  const out: [string, string | null][] = [];
  const re = /([A-Za-z_]\w*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(ins.args.trim()))) out.push([m[1]!, m[2] === undefined ? null : m[2].replace(/^(["'])(.*)\1$/s, '$2')]);
  return out;
}

/** Global ARG defaults (before the first FROM). */
export function globalArgDefaults(df: ParsedDockerfile): Map<string, string | null> {
  const g = new Map<string, string | null>();
  for (const a of df.globalArgs) for (const [k, v] of argPairs(a)) g.set(k, v);
  return g;
}

/**
 * Walks the instructions of the final stage's chain (root stage first), calling `fn` with the
 * variables in effect *before* each instruction.
 */
export function walkChain(df: ParsedDockerfile, stageIndex: number, fn: (ins: ParsedInstruction, s: StageVars) => void): StageVars {
  const globals = globalArgDefaults(df);
  const state: StageVars = { vars: new Map(), env: new Map(), user: null };
  for (const i of baseChain(df, stageIndex)) {
    const st = df.stages[i]!;
    // ARGs do not cross a FROM; ENV and USER do when the stage is built FROM an earlier one.
    for (const k of [...state.vars.keys()]) if (!state.env.has(k)) state.vars.delete(k);
    for (const ins of st.instructions) {
      fn(ins, state);
      if (ins.keyword === 'ARG') {
        for (const [k, v] of argPairs(ins)) {
          if (state.env.has(k)) continue; // ENV shadows a later ARG of the same name
          const val = v !== null ? substituteArgs(v, state.vars) : globals.get(k);
          if (val !== null && val !== undefined) state.vars.set(k, val); else state.vars.delete(k);
        }
      }
      if (ins.keyword === 'ENV') {
        for (const [k, v] of envPairs(ins)) { const val = substituteArgs(v, state.vars); state.env.set(k, val); state.vars.set(k, val); }
      }
      if (ins.keyword === 'USER') state.user = substituteArgs(ins.args.trim(), state.vars);
    }
  }
  return state;
}

/** Resolves `$VAR` / `${VAR}` in a path or word with the variables in effect; unknown names stay as written. */
export function resolveVars(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)/g, (whole, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? whole);
}
