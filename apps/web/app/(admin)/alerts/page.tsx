import AlertsView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Alerts" };

export default function AlertsPage() {
  return <AlertsView />;
}
