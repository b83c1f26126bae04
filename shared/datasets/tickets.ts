import { loadBanking77, splitBanking77 } from "./banking77.js";

/** An inbound ticket event as a helpdesk would publish it to mesh.in.ticket. */
export interface TicketEvent {
  readonly tenant: string;
  readonly region: string;
  readonly source: { readonly system: string; readonly id: string };
  readonly payload: { readonly text: string; readonly channel: "email" | "chat" | "phone" | "social" | "web" };
}

const channels = ["email", "chat", "web", "social", "phone"] as const;

/**
 * Demo and test tickets drawn from the held-out fifth, so the small model meets them for the first time.
 * Deterministic: the same count gives the same events (and envelope ids) every run.
 */
export function sampleTicketEvents(
  count: number,
  opts: { system?: string; region?: string; tenant?: string } = {},
): { event: TicketEvent; expected: string }[] {
  const { evaluation } = splitBanking77(loadBanking77().rows);
  return Array.from({ length: count }, (_, i) => {
    const row = evaluation[i % evaluation.length]!;
    const event: TicketEvent = {
      tenant: opts.tenant ?? "acme",
      region: opts.region ?? "eu",
      source: { system: opts.system ?? "helpdesk", id: `TCK-${i}` },
      payload: { text: row.text, channel: channels[i % channels.length]! },
    };
    // The BANKING77 label scores a demo run; it is not part of what the mesh receives.
    return { event, expected: row.category };
  });
}
