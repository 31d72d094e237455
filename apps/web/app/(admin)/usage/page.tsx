import UsageView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Usage" };

export default function UsagePage() {
  return <UsageView />;
}
