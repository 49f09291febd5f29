import type { Role } from '../domain/enums';

/** Who is calling: always exactly one organization and one role (CONTRACT.md "Roles"). */
export interface Principal {
  organizationId: string;
  role: Role;
  /** API_KEY for keys, USER for JWT subjects. */
  actorType: 'API_KEY' | 'USER';
  /** API key id or JWT subject; what audit logs and agent assignments refer to. */
  actorId: string;
  name: string | null;
}

/** Roles allowed to see borrower contact data (AGENTs only for loans assigned to them; PARTNERs never). */
export function canSeeContactData(principal: Principal, assignedAgentId: string | null | undefined): boolean {
  switch (principal.role) {
    case 'ADMIN':
    case 'FINANCE':
    case 'SUPERVISOR':
      return true;
    case 'AGENT':
      return !!assignedAgentId && assignedAgentId === principal.actorId;
    case 'PARTNER':
      return false;
  }
}

/** "256772123456" -> "2567******56"; keeps enough to recognise, not enough to call. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  if (phone.length <= 6) return '*'.repeat(phone.length);
  return phone.slice(0, 4) + '*'.repeat(phone.length - 6) + phone.slice(-2);
}

export function maskEmail(email: string | null | undefined): string | null {
  if (!email) return null;
  const [user, domain] = email.split('@');
  if (!domain) return '***';
  return `${user.slice(0, 1)}***@${domain}`;
}

export function maskName(name: string | null | undefined): string | null {
  if (!name) return null;
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part[0] + '.')
    .join(' ');
}
