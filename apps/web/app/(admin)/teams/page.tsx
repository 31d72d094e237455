import TeamsView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Teams" };

export default function TeamsPage() {
  return <TeamsView />;
}
