import LogsView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Request logs" };

export default function LogsPage() {
  return <LogsView />;
}
