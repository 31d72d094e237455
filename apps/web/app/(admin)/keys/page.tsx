import KeysView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "API keys" };

export default function KeysPage() {
  return <KeysView />;
}
