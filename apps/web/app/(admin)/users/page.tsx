import UsersView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Users" };

export default function UsersPage() {
  return <UsersView />;
}
