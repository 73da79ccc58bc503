/**
 * Node configuration: environment variables over an optional JSON file, validated once at start.
 * A bad value stops the node with one line naming the variable and what it expects.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { fileErrorReason } from '../files/file-error-reason.ts';

/** A whole number: digits in the environment, a JSON number in the file; blanks, null and booleans are refused. */
const integer = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const port = integer.pipe(z.number().min(0).max(65535));
const positiveInt = integer.pipe(z.number().positive());
const url = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  });

/** Each setting: its environment variable, what it expects (for error messages), and its schema. */
const settings = {
  port: { env: 'PORT', expects: 'an integer port from 0 to 65535', schema: port.default(8080) },
  host: { env: 'HOST', expects: 'a host name or address', schema: z.string().min(1).default('127.0.0.1') },
  databaseUrl: {
    env: 'DATABASE_URL',
    expects: 'a postgres:// URL',
    secret: true,
    schema: url(['postgres:', 'postgresql:']).optional(),
  },
  redisUrl: {
    env: 'REDIS_URL',
    expects: 'a redis:// or rediss:// URL',
    secret: true,
    schema: url(['redis:', 'rediss:']).optional(),
  },
  dataDir: { env: 'ACCORD_DATA_DIR', expects: 'a folder path', schema: z.string().min(1).default('./data') },
  masterKey: {
    env: 'ACCORD_MASTER_KEY',
    expects: '32 bytes in base64 (openssl rand -base64 32)',
    secret: true,
    schema: z
      .string()
      .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v))
      .optional(),
  },
  masterKeyFile: { env: 'ACCORD_MASTER_KEY_FILE', expects: 'a file path', schema: z.string().min(1).optional() },
  partyName: {
    env: 'ACCORD_PARTY_NAME',
    expects: 'a name of 1 to 200 characters',
    schema: z.string().min(1).max(200).default('Accord node'),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    expects: 'one of fatal, error, warn, info, debug, trace, silent',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  },
  bodyLimitBytes: {
    env: 'ACCORD_BODY_LIMIT_BYTES',
    expects: 'a positive integer (bytes)',
    schema: positiveInt.default(1_048_576),
  },
  rateLimitPerMinute: {
    env: 'ACCORD_RATE_LIMIT_PER_MINUTE',
    expects: 'a positive integer (requests per minute per API key or address)',
    schema: positiveInt.default(600),
  },
  workerConcurrency: {
    env: 'ACCORD_WORKER_CONCURRENCY',
    expects: 'an integer from 1 to 64',
    schema: integer.pipe(z.number().min(1).max(64)).default(4),
  },
  adPlatformUrls: {
    env: 'ACCORD_AD_PLATFORM_URLS',
    expects: 'platform=URL pairs separated by commas (tencent=http://127.0.0.1:9001,meta=...): origins standing in for the platforms, for the demo and tests',
    schema: z
      .string()
      .regex(/^[a-z]+=https?:\/\/[^,\s]+(,[a-z]+=https?:\/\/[^,\s]+)*$/)
      .transform((value) => Object.fromEntries(value.split(',').map((pair) => pair.split('=') as [string, string])))
      .optional(),
  },
  googleDeveloperToken: {
    env: 'ACCORD_GOOGLE_DEVELOPER_TOKEN',
    expects: 'the Google Ads API developer token of this installation',
    secret: true,
    schema: z.string().min(1).default('unset'),
  },
} as const;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> };
export type ConfigInput = Partial<Record<keyof Settings, unknown>>;

export class ConfigError extends Error {
  readonly code = 'ACCORD_ERR_CONFIG';
}

/** The table the README documents: variable, file key, default. */
export function describeSettings(): Array<{ env: string; key: string; expects: string; default: unknown }> {
  return Object.entries(settings).map(([key, s]) => {
    const parsed = s.schema.safeParse(undefined);
    return { env: s.env, key, expects: s.expects, default: parsed.success ? parsed.data : undefined };
  });
}

function readConfigFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`ACCORD_CONFIG: cannot read ${path}: ${fileErrorReason(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`ACCORD_CONFIG: ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`ACCORD_CONFIG: ${path} must hold a JSON object`);
  }
  const unknown = Object.keys(parsed).filter((key) => !(key in settings));
  if (unknown.length > 0) {
    throw new ConfigError(`ACCORD_CONFIG: ${path} has unknown key "${unknown[0]}"; known keys: ${Object.keys(settings).join(', ')}`);
  }
  return parsed as ConfigInput;
}

/**
 * Reads the configuration. Precedence: explicit overrides, then the environment, then the file named by
 * ACCORD_CONFIG, then defaults. Empty environment values count as unset.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  const file = env.ACCORD_CONFIG ? readConfigFile(env.ACCORD_CONFIG) : {};
  const result: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as Array<[keyof Settings, Settings[keyof Settings]]>) {
    const fromEnv = env[setting.env];
    const raw = overrides[key] ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : file[key]);
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      const where = overrides[key] !== undefined ? key : fromEnv ? setting.env : `${key} in ${env.ACCORD_CONFIG}`;
      // URLs may carry passwords and the master key is one: never echo them.
      const shown = 'secret' in setting ? 'the value given (not shown: it may hold a secret)' : JSON.stringify(raw);
      throw new ConfigError(`${where}: expected ${setting.expects}, got ${shown}`);
    }
    result[key] = parsed.data;
  }
  result.dataDir = resolve(result.dataDir as string);
  return result as Config;
}
