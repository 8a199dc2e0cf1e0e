// Time as the reference system shows it: UTC with a trailing "Z", and
// relative times for recent events in show-* output.
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

export function toDate(ts: Timestamp | Date | undefined): Date | undefined {
  if (!ts) return undefined;
  return ts instanceof Date ? ts : timestampDate(ts);
}

/** "14:03:07Z" */
export function formatClock(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

/** "26 Nov 2026 14:03:07Z", the reference's `since` format. */
export function formatDateTime(d: Date): string {
  return `${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${formatClock(d)}`;
}

/**
 * "just now", "21 seconds ago", "3 minutes ago", "2 hours ago", or the date once
 * it is a day or more ago. Times slightly in the future (clock skew between
 * client and controller) read as "just now".
 */
export function relativeTime(when: Date, now: Date = new Date()): string {
  const seconds = Math.floor((now.getTime() - when.getTime()) / 1000);
  if (seconds < 2) return "just now";
  if (seconds < 60) return `${seconds} seconds ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return minutes === 1 ? "1 minute ago" : `${minutes} minutes ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return hours === 1 ? "1 hour ago" : `${hours} hours ago`;
  return formatDateTime(when);
}
