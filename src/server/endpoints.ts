// endpoints.ts — the named ends of each hub: HNinM, HNoutM, HNerrM.
//
// Every input and output wired to a hub has a number M there: a session's
// process, a client's subscription or input, or a name made by hNsM / hNoM /
// hNeM / hNiM that waits for use. hNv lists them; hNfM frees one (the client
// stays connected), hNkM kills it (its client is closed too), hNyM / hNzM kill
// the process reading / writing through it.
//
// Not here: the hub's own reader positions (core/hub.ts), the ctl parser.

export type EndpointKind = 'in' | 'out' | 'err';

export interface Endpoint {
  hub: number;
  n: number;
  kind: EndpointKind;
  /** Who holds it: 'session 0', 'conn 7', or 'named'. */
  owner: string;
  /** The process behind it, when io knows it (a session, a host process). */
  pid?: number;
  /** Why hNfM / hNkM may not touch it (a session's own ends go with the session). */
  fixed?: string;
  /** For a client's output: when its sink filled up and has not drained since. */
  stalledSince?: () => number | null;
  /** For an output: writers wait for it in fast mode too (a host's shell's stdin). */
  holds?: boolean;
  /** For an input: bytes its writer gave that wait for room in the hub. */
  heldBytes?: () => number;
  /** Let go of the hub (stop reading or writing it); the owner lives on. */
  free(): void;
  /** Free it and close its owner's connection, telling it why when it can be told. */
  kill(why?: string): void;
}

export function endpointName(e: Pick<Endpoint, 'hub' | 'n' | 'kind'>): string {
  return `H${e.hub}${e.kind}${e.n}`;
}

/** Inputs and outputs are numbered apart, as H3in3 and H3out3 are two ends. */
export type Side = 'in' | 'out';
export function sideOf(kind: EndpointKind): Side {
  return kind === 'in' ? 'in' : 'out';
}

export class Endpoints {
  private readonly byHub = new Map<number, Map<string, Endpoint>>();
  /** Per hub and side, a number at or below the lowest free one: where the search for a free number starts. */
  private readonly freeFrom = new Map<string, number>();

  /** Register an endpoint; n chosen when absent. Returns null when n is taken on that side. */
  add(spec: Omit<Endpoint, 'n'> & { n?: number }): Endpoint | null {
    let ends = this.byHub.get(spec.hub);
    if (!ends) this.byHub.set(spec.hub, (ends = new Map()));
    const side = sideOf(spec.kind);
    let n = spec.n;
    if (n === undefined) {
      n = this.freeFrom.get(`${spec.hub}${side}`) ?? 0;
      while (ends.has(`${side}${n}`)) n++;
      this.freeFrom.set(`${spec.hub}${side}`, n + 1);
    } else if (ends.has(`${side}${n}`)) return null;
    const endpoint: Endpoint = { ...spec, n };
    ends.set(`${side}${n}`, endpoint);
    return endpoint;
  }

  /** The endpoints numbered n on hub: an input, an output, or both. */
  find(hub: number, n: number, side?: Side): Endpoint[] {
    const ends = this.byHub.get(hub);
    if (!ends) return [];
    return (side ? [side] : (['in', 'out'] as const)).map((sd) => ends.get(`${sd}${n}`)).filter((e): e is Endpoint => e !== undefined);
  }

  delete(e: Endpoint): void {
    const ends = this.byHub.get(e.hub);
    const side = sideOf(e.kind);
    const key = `${side}${e.n}`;
    if (ends?.get(key) !== e) return;
    ends.delete(key);
    const from = this.freeFrom.get(`${e.hub}${side}`);
    if (from !== undefined && e.n < from) this.freeFrom.set(`${e.hub}${side}`, e.n);
  }

  list(hub: number): Endpoint[] {
    return [...(this.byHub.get(hub)?.values() ?? [])].sort((a, b) => a.n - b.n || a.kind.localeCompare(b.kind));
  }

  /** Every endpoint of every hub. */
  all(): Endpoint[] {
    return [...this.byHub.values()].flatMap((ends) => [...ends.values()]);
  }

  /** Endpoints of one hub, gone with it (hNx). */
  dropHub(hub: number): Endpoint[] {
    const list = this.list(hub);
    this.byHub.delete(hub);
    this.freeFrom.delete(`${hub}in`);
    this.freeFrom.delete(`${hub}out`);
    return list;
  }
}
