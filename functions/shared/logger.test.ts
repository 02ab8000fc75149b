import { ConfigError } from '../../config/env.js';
import { createLogger, memoryLogger } from './logger.js';

describe('the JSON logger', () => {
  const saved = process.env.LOG_LEVEL;

  afterEach(() => {
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  });

  it('writes fixed keys first, then fields, errors as objects', () => {
    const logger = memoryLogger('svc');

    logger.child({ tick: 't1' }).warn('tick failed', {
      error: new Error('boom', { cause: new TypeError('inner') }),
    });

    const [entry] = logger.entries;
    expect(Object.keys(entry ?? {}).slice(0, 4)).toEqual([
      'level',
      'time',
      'service',
      'msg',
    ]);
    expect(entry).toMatchObject({
      level: 'warn',
      service: 'svc',
      msg: 'tick failed',
      tick: 't1',
      error: {
        name: 'Error',
        message: 'boom',
        cause: { name: 'TypeError', message: 'inner' },
      },
    });
  });

  it('leaves out entries below LOG_LEVEL', () => {
    process.env.LOG_LEVEL = 'warn';
    const lines: string[] = [];
    const logger = createLogger('svc', { sink: (line) => lines.push(line) });

    logger.info('quiet');
    logger.error('loud');

    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['loud']);
  });

  it('refuses an unknown LOG_LEVEL, naming the variable', () => {
    process.env.LOG_LEVEL = 'loud';

    expect(() => createLogger('svc')).toThrow(ConfigError);
    expect(() => createLogger('svc')).toThrow(/^LOG_LEVEL: /);
  });
});
