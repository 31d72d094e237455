/** A page's error, announced to screen readers as it appears (role=alert); nothing when there is none. */
export default function ErrorAlert({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="bad" role="alert">
      {error}
    </p>
  );
}
