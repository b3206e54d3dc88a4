// Get your memberships export by email every month: subscribe once.
//   MEMBERSHIPS_EMAIL=demo@example.com MEMBERSHIPS_PASSWORD=demo-password node subscribe-monthly.mjs Europe/Berlin
import { createClient } from '@memberships/sdk';

const { MEMBERSHIPS_EMAIL: email, MEMBERSHIPS_PASSWORD: password } = process.env;
if (!email || !password) {
  console.error('Set MEMBERSHIPS_EMAIL and MEMBERSHIPS_PASSWORD to your account (`npm start` prints the demo one).');
  process.exit(2);
}

const client = createClient({
  baseUrl: process.env.MEMBERSHIPS_API_URL ?? 'http://127.0.0.1:3000',
  credentials: { email, password },
});

// The 1st of every month at 06:00 in your time zone (it follows daylight saving).
// Schedules go in and come out with the same (the API's) field names.
const timeZone = process.argv[2] ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
const { items } = await client.schedules.list();
const existing = items.find(
  (s) => s.day_of_month === 1 && s.time_of_day === '06:00' && s.time_zone.toLowerCase() === timeZone.toLowerCase(),
);
const schedule = existing ?? (await client.schedules.create({ day_of_month: 1, time_of_day: '06:00', time_zone: timeZone }));
console.log(
  `${existing ? 'Already subscribed' : 'Subscribed'}: schedule ${schedule.id}, next export ${schedule.next_run_at ?? 'none while paused'}`,
);

// Later: client.schedules.pause(id), .resume(id), .update(id, { time_of_day: '07:30' }), .delete(id).
