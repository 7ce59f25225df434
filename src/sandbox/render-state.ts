import { isoMicros } from './clock.ts';
import { SeededRandom } from './random.ts';

export interface RenderEnvVarSeed {
  key: string;
  value: string;
}
export interface RenderSecretFileSeed {
  name: string;
  content: string;
}
export type RenderServiceType =
  'static_site' | 'web_service' | 'private_service' | 'background_worker' | 'cron_job';
export interface RenderServiceSeed {
  /** `srv-` followed by 20 characters; generated when left out. */
  id?: string;
  name: string;
  /** @default 'web_service' */
  type?: RenderServiceType;
  /** @default the first owner */
  ownerId?: string;
  envVars?: RenderEnvVarSeed[];
  secretFiles?: RenderSecretFileSeed[];
}
export interface RenderEnvGroupSeed {
  /** `evg-` followed by 20 characters; generated when left out. */
  id?: string;
  name: string;
  ownerId?: string;
  envVars?: RenderEnvVarSeed[];
  secretFiles?: RenderSecretFileSeed[];
  /** Services linked to the group. */
  serviceIds?: string[];
}
export interface RenderOwnerSeed {
  /** `tea-…` or `usr-…`. */
  id: string;
  name?: string;
}
/** The Render part of a sandbox fixture. Without owners, one team owner `tea-sandbox…` is made up. */
export interface RenderSeed {
  owners?: RenderOwnerSeed[];
  services?: RenderServiceSeed[];
  envGroups?: RenderEnvGroupSeed[];
}

/** Every listed thing has a row id and a sequence number: lists are newest first, cursors encode the sequence. */
export interface Row {
  rowId: string;
  seq: number;
}
export interface EnvVarRow extends Row {
  key: string;
  value: string;
}
export interface SecretFileRow extends Row {
  name: string;
  content: string;
}
export interface RenderDeploy extends Row {
  id: string;
  status: 'created';
  trigger: 'api';
  clearCache: 'clear' | 'do_not_clear';
  commitId?: string;
  createdAt: string;
}
export interface RenderService extends Row {
  id: string;
  name: string;
  type: RenderServiceType;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
  envVars: EnvVarRow[];
  secretFiles: SecretFileRow[];
  deploys: RenderDeploy[];
}
export interface RenderEnvGroup extends Row {
  id: string;
  name: string;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
  envVars: EnvVarRow[];
  secretFiles: SecretFileRow[];
  serviceIds: string[];
}

// Render ids are xids: 20 characters of base32hex.
const XID_ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** Render's in-memory world: owners, services with env vars and secret files, env groups. */
export class RenderState {
  readonly owners = new Map<string, { id: string; name: string }>();
  readonly services = new Map<string, RenderService>();
  readonly envGroups = new Map<string, RenderEnvGroup>();
  private readonly random: SeededRandom;
  private seq = 0;

  constructor(seed: RenderSeed = {}, randomSeed = 1) {
    this.random = new SeededRandom(randomSeed);
    for (const owner of seed.owners ?? [{ id: `tea-${'sandbox'.padEnd(20, '0')}` }]) {
      this.owners.set(owner.id, { id: owner.id, name: owner.name ?? owner.id });
    }
    const defaultOwner = [...this.owners.keys()][0] ?? '';
    for (const s of seed.services ?? []) {
      const id = s.id ?? this.newId('srv');
      if (this.services.has(id)) throw new Error(`[sandbox] [render] duplicate service ${id} in seed`);
      const now = this.timestamp();
      this.services.set(id, {
        ...this.row(),
        id,
        name: s.name,
        type: s.type ?? 'web_service',
        ownerId: this.knownOwner(s.ownerId ?? defaultOwner),
        createdAt: now,
        updatedAt: now,
        envVars: (s.envVars ?? []).map((v) => this.envVarRow(v.key, v.value)),
        secretFiles: (s.secretFiles ?? []).map((f) => this.secretFileRow(f.name, f.content)),
        deploys: [],
      });
    }
    for (const g of seed.envGroups ?? []) {
      const group = this.createEnvGroup(
        g.name,
        this.knownOwner(g.ownerId ?? defaultOwner),
        g.envVars ?? [],
        g.secretFiles ?? [],
        g.id,
      );
      for (const serviceId of g.serviceIds ?? []) {
        if (!this.services.has(serviceId))
          throw new Error(`[sandbox] [render] env group ${g.name} links unknown service ${serviceId}`);
        group.serviceIds.push(serviceId);
      }
    }
  }

  createEnvGroup(
    name: string,
    ownerId: string,
    envVars: RenderEnvVarSeed[],
    secretFiles: RenderSecretFileSeed[],
    id = this.newId('evg'),
  ): RenderEnvGroup {
    if (this.envGroups.has(id)) throw new Error(`[sandbox] [render] duplicate env group ${id}`);
    const now = this.timestamp();
    const group: RenderEnvGroup = {
      ...this.row(),
      id,
      name,
      ownerId,
      createdAt: now,
      updatedAt: now,
      envVars: envVars.map((v) => this.envVarRow(v.key, v.value)),
      secretFiles: secretFiles.map((f) => this.secretFileRow(f.name, f.content)),
      serviceIds: [],
    };
    this.envGroups.set(id, group);
    return group;
  }

  envVarRow(key: string, value: string): EnvVarRow {
    return { ...this.row(), key, value };
  }

  secretFileRow(name: string, content: string): SecretFileRow {
    return { ...this.row(), name, content };
  }

  /** `generateValue: true`: 32 random bytes, base64, like the recorded `AvPmamLY…Qw=`. */
  generatedValue(): string {
    return Buffer.from(this.random.bytes(32)).toString('base64');
  }

  newId(prefix: string): string {
    return `${prefix}-${this.random.chars(XID_ALPHABET, 20)}`;
  }

  /** Render's microsecond timestamps. */
  timestamp(): string {
    return isoMicros(Date.now(), this.random.int(1000));
  }

  /** A new row id and sequence number for a listed thing (newest first, cursor-paged). */
  row(): Row {
    this.seq += 1;
    return { rowId: this.random.chars(XID_ALPHABET, 20), seq: this.seq };
  }

  private knownOwner(id: string): string {
    if (!this.owners.has(id)) throw new Error(`[sandbox] [render] unknown owner ${id} in seed`);
    return id;
  }
}

/** Newest first, as Render lists them. */
export function newestFirst<T extends Row>(rows: T[]): T[] {
  return [...rows].sort((a, b) => b.seq - a.seq);
}

/** base64 of an 8-byte sequence number and the row id's last 16 characters, the shape of recorded cursors. */
export function encodeCursor(row: Row): string {
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(BigInt(row.seq));
  return Buffer.concat([seq, Buffer.from(row.rowId.slice(-16), 'latin1')]).toString('base64');
}

/** The sequence number inside a cursor, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): number | undefined {
  const bytes = Buffer.from(cursor, 'base64');
  if (bytes.length !== 24 || bytes.toString('base64') !== cursor) return undefined;
  return Number(bytes.readBigUInt64BE(0));
}
