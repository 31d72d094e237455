import OverviewView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Overview" };

export default function OverviewPage() {
  return <OverviewView />;
}
