// Get your memberships export by email every month: subscribe once.
//   MEMBERSHIPS_EMAIL=demo@example.com MEMBERSHIPS_PASSWORD=demo-password node subscribe-monthly.mjs Europe/Berlin
import { createClient } from '@memberships/sdk';

const client = createClient({
  baseUrl: process.env.MEMBERSHIPS_API_URL ?? 'http://127.0.0.1:3000',
  credentials: { email: process.env.MEMBERSHIPS_EMAIL, password: process.env.MEMBERSHIPS_PASSWORD },
});

// The 1st of every month at 06:00 in your time zone (it follows daylight saving).
const timeZone = process.argv[2] ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
const { items } = await client.schedules.list();
const existing = items.find((s) => s.day_of_month === 1 && s.time_of_day === '06:00' && s.time_zone.toLowerCase() === timeZone.toLowerCase());
const schedule = existing ?? (await client.schedules.create({ dayOfMonth: 1, timeOfDay: '06:00', timeZone }));
console.log(`${existing ? 'Already subscribed' : 'Subscribed'}: schedule ${schedule.id}, next export ${schedule.next_run_at ?? 'none while paused'}`);

// Later: client.schedules.pause(id), .resume(id), .update(id, { timeOfDay: '07:30' }), .delete(id).
