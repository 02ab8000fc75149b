/**
 * `npm run bench -- <name> [args]`: runs one benchmark, or all of them
 * in turn when no name is given. Each prints its figures beside a
 * baseline measured in the same run.
 */

const BENCHES = ['api', 'task', 'socket'] as const;

type BenchName = (typeof BENCHES)[number];

interface BenchModule {
  run(args: string[]): Promise<void>;
}

function isBench(name: string): name is BenchName {
  return (BENCHES as readonly string[]).includes(name);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name !== undefined && !isBench(name)) {
    process.stderr.write(
      `unknown benchmark "${name}"; choose one of: ${BENCHES.join(', ')}\n`,
    );
    return 2;
  }
  const chosen = name === undefined ? BENCHES : [name];
  for (const bench of chosen) {
    process.stdout.write(`\n== bench ${bench}\n`);
    const module = (await import(`./${bench}.js`)) as BenchModule;
    await module.run(rest);
  }

  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = 2;
}
