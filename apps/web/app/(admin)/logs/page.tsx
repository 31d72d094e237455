import LogsView from "./view";

export const dynamic = "force-dynamic";

export default function LogsPage() {
  return <LogsView />;
}
