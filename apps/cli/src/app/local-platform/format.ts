/** `1.5 s`: a duration in milliseconds as seconds with one decimal, for progress lines. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
