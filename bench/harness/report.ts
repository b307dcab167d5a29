// The printed tables, and the JSON file (written to a temporary name, then renamed).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ModelResult, type Results, targets } from './results.js';

const pass = (ok: boolean): string => (ok ? 'ok' : 'MISS');
const mb = (kb: number | undefined): string => (kb === undefined ? '-' : `${(kb / 1024).toFixed(0)} MB`);
const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
const thousands = (count: number): string =>
  count >= 1e6 ? `${(count / 1e6).toFixed(2)}M` : `${(count / 1e3).toFixed(0)}k`;

function table(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function modelRow(model: ModelResult): string[] {
  if (model.error || !model.mmgen || !model.torch) {
    return [model.name, model.description, '-', '-', '-', 'FAILED', '-', '-', '-', '-', '-'];
  }
  const ratio = model.ratio ?? Number.NaN;
  const drift = model.drift;
  return [
    model.name,
    model.description,
    thousands(model.mmgen.parameters),
    fixed(model.mmgen.medianMs, 1),
    fixed(model.torch.medianMs, 1),
    `${fixed(ratio, 2)} ${pass(ratio <= targets.ratio)}`,
    fixed(model.cpuRatio, 2),
    mb(model.mmgen.peakKb),
    mb(model.torch.peakKb),
    drift
      ? `${drift.percent >= 0 ? '+' : ''}${fixed(drift.percent, 1)} % ${pass(Math.abs(drift.percent) < targets.driftPercent)}`
      : '-',
    drift ? `${drift.steps}` : '-',
  ];
}

function phases(
  profile: { phases: { forward: number; backward: number; optimizer: number; js?: number } } | undefined,
): string {
  if (!profile) return '-';
  const { forward, backward, optimizer, js } = profile.phases;
  return (
    [forward, backward, optimizer].map((value) => fixed(value, 1)).join(' / ') +
    (js === undefined ? '' : ` (js ${fixed(js, 1)})`)
  );
}

function topCalls(calls: Record<string, number> | undefined, count: number): string {
  if (!calls) return '-';
  return Object.entries(calls)
    .slice(0, count)
    .map(([name, value]) => `${name.replace(/^aten::/, '')} ${Math.round(value)}`)
    .join(', ');
}

export function formatReport(results: Results): string {
  const { settings } = results;
  const parts: string[] = [];
  parts.push(
    `mmgen bench (${settings.mode}): ${settings.reps} reps x ${settings.stepsPerRep} steps per side, interleaved; ` +
      `${settings.warmupSteps} warm-up steps; ${settings.threads} thread; seed ${settings.seed}`,
  );
  parts.push(`mmgen:   ${results.runtime.mmgen}\nPyTorch: ${results.runtime.torch}`);
  parts.push(
    `machine: ${results.machine.cpu}, ${results.machine.cpus} vCPUs, load ${results.machine.loadAverage.map((v) => v.toFixed(2)).join(' ')} at start`,
  );
  parts.push(
    `targets: ratio mmgen/PyTorch <= ${targets.ratio.toFixed(1)} per model (aim ${targets.ratioAim}); RSS drift < ${targets.driftPercent} % over ` +
      `${targets.driftSteps} steps; tiny op <= ${targets.tinyOpRatio}x PyTorch`,
  );

  const modelHeader = [
    'model',
    'what',
    'params',
    'mmgen ms',
    'torch ms',
    'ratio',
    'cpu ratio',
    'mmgen peak',
    'torch peak',
    'mmgen drift',
    'steps',
  ];
  if (results.models.length > 0)
    parts.push(table(modelHeader, results.models.map(modelRow), new Set([2, 3, 4, 5, 6, 7, 8, 9, 10])));
  if (results.models.some((model) => model.mmgen && model.torch)) {
    const waits = results.models.flatMap((model) =>
      model.mmgen && model.torch ? [model.mmgen.medianWaitMs, model.torch.medianWaitMs] : [],
    );
    parts.push(
      'ms = median wall ms per step; ratio = mmgen / PyTorch; cpu ratio = the same on main-thread CPU time (leaves out time spent waiting ' +
        `for a CPU: a median ${fixed(Math.max(...waits), 1)} ms per step at worst in this run); peak = VmHWM; drift = RSS change over the drift run`,
    );
  }
  const failures = results.models.filter((model) => model.error);
  for (const model of failures) parts.push(`${model.name} FAILED: ${model.error?.split('\n')[0] ?? ''}`);
  const short = results.models.filter((model) => model.drift && model.drift.steps < targets.driftSteps);
  if (short.length > 0)
    parts.push(
      `(drift measured over ${short[0]?.drift?.steps} steps in --quick mode; the target is for ${targets.driftSteps})`,
    );

  if (results.tinyOps.length > 0) {
    const rows = results.tinyOps.map((op) => [
      op.label,
      fixed(op.mmgenMedianUs, 2),
      fixed(op.torchMedianUs, 2),
      `${fixed(op.ratio, 2)} ${pass(op.ratio <= targets.tinyOpRatio)}`,
      fixed(op.cpuRatio, 2),
    ]);
    parts.push(
      table(
        [
          `tiny op, 4 elements, ${settings.tinyOpCalls.toExponential(0).replace('+', '')} calls`,
          'mmgen us',
          'torch us',
          'ratio',
          'cpu ratio',
        ],
        rows,
        new Set([1, 2, 3, 4]),
      ),
    );
  }
  if (results.tinyOpError) parts.push(`tiny op FAILED: ${results.tinyOpError.split('\n')[0] ?? ''}`);

  if (results.data) {
    parts.push(
      table(
        ['data', 'value', 'unit'],
        results.data.map((entry) => [entry.name, fixed(entry.value, 1), entry.unit]),
        new Set([1]),
      ),
    );
  }
  if (results.caption) {
    parts.push(
      table(
        ['caption', 'value', 'unit'],
        results.caption.map((entry) => [entry.name, fixed(entry.value, 1), entry.unit]),
        new Set([1]),
      ),
    );
  }
  if (results.serve) {
    parts.push(
      table(
        ['serve', 'value', 'unit'],
        results.serve.map((entry) => [entry.name, fixed(entry.value, entry.unit === 'ratio' ? 2 : 1), entry.unit]),
        new Set([1]),
      ),
    );
  }
  if (results.serveError) parts.push(`serve benchmark FAILED: ${results.serveError.split('\n')[0] ?? ''}`);
  if (results.captionError) parts.push(`caption benchmarks FAILED: ${results.captionError.split('\n')[0] ?? ''}`);
  if (results.dataError) parts.push(`data benchmarks FAILED: ${results.dataError.split('\n')[0] ?? ''}`);
  if (results.audio)
    parts.push(
      table(
        ['audio', 'value', 'unit'],
        results.audio.map((entry) => [entry.name, fixed(entry.value, 1), entry.unit]),
        new Set([1]),
      ),
    );
  if (results.audioError) parts.push(`audio benchmark FAILED: ${results.audioError.split('\n')[0] ?? ''}`);
  if (results.distributed)
    parts.push(
      table(
        ['data-parallel training', 'value', 'unit'],
        results.distributed.map((entry) => [entry.name, fixed(entry.value, 2), entry.unit]),
        new Set([1]),
      ),
    );
  if (results.distributedError)
    parts.push(`data-parallel benchmark FAILED: ${results.distributedError.split('\n')[0] ?? ''}`);

  const profiled = results.models.filter((model) => model.mmgen?.profile && model.torch?.profile);
  if (profiled.length > 0) {
    const rows = profiled.map((model) => {
      const mmgen = model.mmgen?.profile;
      const torch = model.torch?.profile;
      return [
        model.name,
        fixed(mmgen?.callsPerStep, 0),
        `${fixed(torch?.callsPerStep, 0)} (${fixed(torch?.atenOpsPerStep, 0)})`,
        phases(mmgen),
        phases(torch),
        `${(model.mmgen?.firstLosses ?? []).map((v) => v.toFixed(4)).join('/')} | ${(model.torch?.firstLosses ?? []).map((v) => v.toFixed(4)).join('/')}`,
      ];
    });
    parts.push(
      table(
        [
          'profile/step',
          'mmgen N-API calls',
          'torch py->ATen (all ATen)',
          'mmgen fwd/bwd/opt cpu ms',
          'torch fwd/bwd/opt cpu ms',
          'step-1 loss mmgen | torch',
        ],
        rows,
        new Set([1, 2]),
      ),
    );
    const calls = profiled.map(
      (model) =>
        `${model.name}: mmgen ${topCalls(model.mmgen?.profile?.topCalls, 6)}\n${' '.repeat(model.name.length + 2)}torch ${topCalls(model.torch?.profile?.topCalls, 6)}`,
    );
    parts.push(`most frequent calls per step:\n${calls.join('\n')}`);
  }
  parts.push(
    `total ${results.totalSeconds.toFixed(0)} s; JSON in bench/results/latest.json and bench/results/${settings.mode}.json`,
  );
  return `${parts.join('\n\n')}\n`;
}

export async function writeResults(path: string, results: Results): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(results, null, 2)}\n`);
  await rename(temporary, path);
}
