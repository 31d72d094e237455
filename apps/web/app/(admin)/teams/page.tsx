import TeamsView from "./view";

export const dynamic = "force-dynamic";

export default function TeamsPage() {
  return <TeamsView />;
}
