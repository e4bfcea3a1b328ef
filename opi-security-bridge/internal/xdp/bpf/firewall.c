// XDP firewall of the OPI security bridge.
//
// Classification costs the same whatever the number of rules: userspace
// (internal/xdp/classify.go) precomputes the rule set into equivalence
// classes per dimension and the decision for every combination of classes
// that any rule can match, so a packet costs four lookups (source and
// destination prefix tries, source and destination port arrays), three hash
// lookups that combine the classes, and its counters. No loop runs over
// rules.
//
// Every table key carries a generation bit. Userspace writes a new rule set
// under the inactive generation, then flips `active`: a packet reads the
// generation once, so it is judged wholly by the old set or by the new one.

/* Only the repository's uapi.h and libbpf's headers: no <linux/...>, whose
 * <asm/...> includes live in the host's multiarch directory. */
#include "uapi.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_RULES 16384
#define SLOT_DEFAULT MAX_RULES
#define SLOT_MALFORMED (MAX_RULES + 1)
#define SLOTS (MAX_RULES + 2)

/* Port slots: 65536 ports plus a "no ports" slot (non-first fragments) for
 * each of TCP, UDP and SCTP, then one slot each for any other protocol,
 * ICMP and ICMPv6. */
#define PORT_SPAN 65537
#define PORT_NONE 65536
#define PORT_OTHER (3 * PORT_SPAN)
#define PORT_SLOTS (3 * PORT_SPAN + 3)

#define MAX_COUNT 8
#define MAX_EXT_HEADERS 6

#define ACTION_ALLOW 1
#define ACTION_DROP 2

struct lpm4_key {
	__u32 prefixlen; /* 32 (generation) + prefix length */
	__u32 gen;
	__u8 addr[4];
};

struct lpm6_key {
	__u32 prefixlen;
	__u32 gen;
	__u8 addr[16];
};

struct pair_key {
	__u32 gen;
	__u32 a;
	__u32 b;
};

struct verdict {
	__u32 action;
	__u32 slot;   /* counter slot of the deciding rule, or SLOT_DEFAULT */
	__u32 ncount; /* COUNT rules matched before it */
	__u32 count[MAX_COUNT];
};

struct gen_settings {
	__u32 default_action;
	__u32 default_slot; /* counter slot for packets no rule decides */
	__u64 fingerprint;
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct gen_settings);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} settings SEC(".maps");

#define LPM_MAP(name, keytype)                           \
	struct {                                             \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);             \
		__uint(max_entries, 1 << 17);                    \
		__uint(map_flags, BPF_F_NO_PREALLOC);            \
		__type(key, keytype);                            \
		__type(value, __u32);                            \
		__uint(pinning, LIBBPF_PIN_BY_NAME);             \
	} name SEC(".maps")

LPM_MAP(src4, struct lpm4_key);
LPM_MAP(dst4, struct lpm4_key);
LPM_MAP(src6, struct lpm6_key);
LPM_MAP(dst6, struct lpm6_key);

#define PORT_MAP(name)                                   \
	struct {                                             \
		__uint(type, BPF_MAP_TYPE_ARRAY);                \
		__uint(max_entries, 2 * PORT_SLOTS);             \
		__type(key, __u32);                              \
		__type(value, __u32);                            \
		__uint(pinning, LIBBPF_PIN_BY_NAME);             \
	} name SEC(".maps")

PORT_MAP(sports);
PORT_MAP(dports);

#define PAIR_MAP(name, valtype)                          \
	struct {                                             \
		__uint(type, BPF_MAP_TYPE_HASH);                 \
		__uint(max_entries, 1 << 20);                    \
		__uint(map_flags, BPF_F_NO_PREALLOC);            \
		__type(key, struct pair_key);                    \
		__type(value, valtype);                          \
		__uint(pinning, LIBBPF_PIN_BY_NAME);             \
	} name SEC(".maps")

PAIR_MAP(addr_pairs, __u32);
PAIR_MAP(port_pairs, __u32);
PAIR_MAP(verdicts, struct verdict);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SLOTS);
	__type(key, __u32);
	__type(value, struct counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counters SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* What the classifier needs from a packet. */
struct flow {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 sport_slot;
	__u32 dport_slot;
};

static __always_inline void count(__u32 gen, __u32 slot, __u64 bytes)
{
	__u32 key = gen * SLOTS + slot;
	struct counter *c = bpf_map_lookup_elem(&counters, &key);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* parse_l4 fills the port slots for protocol proto whose header starts at
 * l4; fragment is true for a non-first fragment. Returns -1 when the
 * transport header is truncated or malformed. */
static __always_inline int parse_l4(struct flow *f, __u8 proto, void *l4, void *end, int fragment)
{
	__u32 base;
	__u32 min;

	switch (proto) {
	case IPPROTO_TCP:
		base = 0;
		min = sizeof(struct tcphdr);
		break;
	case IPPROTO_UDP:
		base = PORT_SPAN;
		min = 8;
		break;
	case IPPROTO_SCTP:
		base = 2 * PORT_SPAN;
		min = 12;
		break;
	case IPPROTO_ICMP:
		f->sport_slot = f->dport_slot = PORT_OTHER + 1;
		return (fragment || l4 + 8 <= end) ? 0 : -1;
	case IPPROTO_ICMPV6:
		f->sport_slot = f->dport_slot = PORT_OTHER + 2;
		return (fragment || l4 + 4 <= end) ? 0 : -1;
	default:
		f->sport_slot = f->dport_slot = PORT_OTHER;
		return 0;
	}
	if (fragment) {
		f->sport_slot = f->dport_slot = base + PORT_NONE;
		return 0;
	}
	if (l4 + min > end)
		return -1;
	if (proto == IPPROTO_TCP && ((struct tcphdr *)l4)->doff < 5)
		return -1;
	__be16 *ports = l4;
	f->sport_slot = base + bpf_ntohs(ports[0]);
	f->dport_slot = base + bpf_ntohs(ports[1]);
	return 0;
}

static __always_inline int parse_ipv4(struct flow *f, void *l3, void *end)
{
	struct iphdr *ip = l3;

	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
		return -1;
	__u32 hlen = ip->ihl * 4;
	if (bpf_ntohs(ip->tot_len) < hlen || l3 + hlen > end)
		return -1;
	__builtin_memcpy(f->saddr, &ip->saddr, 4);
	__builtin_memcpy(f->daddr, &ip->daddr, 4);
	int fragment = (bpf_ntohs(ip->frag_off) & 0x1fff) != 0;
	return parse_l4(f, ip->protocol, l3 + hlen, end, fragment);
}

static __always_inline int parse_ipv6(struct flow *f, void *l3, void *end)
{
	struct ipv6hdr *ip = l3;

	if ((void *)(ip + 1) > end || ip->version != 6)
		return -1;
	__builtin_memcpy(f->saddr, &ip->saddr, 16);
	__builtin_memcpy(f->daddr, &ip->daddr, 16);
	__u8 next = ip->nexthdr;
	void *p = (void *)(ip + 1);

	/* One pass per extension header followed, plus the pass that reaches
	 * the transport header. */
	for (int i = 0; i <= MAX_EXT_HEADERS; i++) {
		__u8 *h = p;
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (p + 8 > end)
				return -1;
			next = h[0];
			p += (h[1] + 1) * 8;
			continue;
		case IPPROTO_AH:
			if (p + 8 > end)
				return -1;
			next = h[0];
			p += (h[1] + 2) * 4;
			continue;
		case IPPROTO_FRAGMENT:
			if (p + 8 > end)
				return -1;
			next = h[0];
			p += 8;
			/* A non-first fragment carries payload, not the headers
			 * that follow the fragment header in the first one:
			 * parsing on would read data as headers (and drop
			 * well-formed fragments as malformed). */
			if ((bpf_ntohs(*(__be16 *)(h + 2)) & 0xfff8) != 0)
				return parse_l4(f, next, p, end, 1);
			continue;
		}
		return parse_l4(f, next, p, end, 0);
	}
	return -1; /* a longer extension header chain than we follow */
}

static __always_inline __u32 finish(__u32 gen, __u32 action, __u32 slot, __u64 bytes)
{
	count(gen, slot, bytes);
	return action == ACTION_DROP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 bytes = end - data;
	__u32 zero = 0;

	__u32 *genp = bpf_map_lookup_elem(&active, &zero);
	if (!genp)
		return XDP_PASS;
	__u32 gen = *genp & 1;
	struct gen_settings *set = bpf_map_lookup_elem(&settings, &gen);
	if (!set)
		return XDP_PASS;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS; /* not ours to judge: the stack drops runts */
	__be16 proto = eth->h_proto;
	void *l3 = (void *)(eth + 1);

	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vh = l3;
		if ((void *)(vh + 1) > end)
			return XDP_PASS;
		proto = vh->proto;
		l3 = (void *)(vh + 1);
	}

	struct flow f = {};
	__u32 *sclass, *dclass;
	int err;

	if (proto == bpf_htons(ETH_P_IP)) {
		err = parse_ipv4(&f, l3, end);
		if (err)
			return finish(gen, ACTION_DROP, SLOT_MALFORMED, bytes);
		struct lpm4_key k = {.prefixlen = 64, .gen = gen};
		__builtin_memcpy(k.addr, f.saddr, 4);
		sclass = bpf_map_lookup_elem(&src4, &k);
		__builtin_memcpy(k.addr, f.daddr, 4);
		dclass = bpf_map_lookup_elem(&dst4, &k);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		err = parse_ipv6(&f, l3, end);
		if (err)
			return finish(gen, ACTION_DROP, SLOT_MALFORMED, bytes);
		struct lpm6_key k = {.prefixlen = 160, .gen = gen};
		__builtin_memcpy(k.addr, f.saddr, 16);
		sclass = bpf_map_lookup_elem(&src6, &k);
		__builtin_memcpy(k.addr, f.daddr, 16);
		dclass = bpf_map_lookup_elem(&dst6, &k);
	} else {
		return XDP_PASS;
	}

	__u32 action = set->default_action;
	__u32 dslot = set->default_slot;
	if (dslot > SLOT_DEFAULT)
		dslot = SLOT_DEFAULT;
	if (!sclass || !dclass)
		return finish(gen, action, dslot, bytes);

	__u32 key = gen * PORT_SLOTS + f.sport_slot;
	__u32 *spclass = bpf_map_lookup_elem(&sports, &key);
	key = gen * PORT_SLOTS + f.dport_slot;
	__u32 *dpclass = bpf_map_lookup_elem(&dports, &key);
	if (!spclass || !dpclass || !*spclass || !*dpclass)
		return finish(gen, action, dslot, bytes);

	struct pair_key pk = {.gen = gen, .a = *sclass, .b = *dclass};
	__u32 *addr = bpf_map_lookup_elem(&addr_pairs, &pk);
	if (!addr)
		return finish(gen, action, dslot, bytes);
	pk.a = *spclass;
	pk.b = *dpclass;
	__u32 *port = bpf_map_lookup_elem(&port_pairs, &pk);
	if (!port)
		return finish(gen, action, dslot, bytes);
	pk.a = *addr;
	pk.b = *port;
	struct verdict *v = bpf_map_lookup_elem(&verdicts, &pk);
	if (!v)
		return finish(gen, action, dslot, bytes);

	for (int i = 0; i < MAX_COUNT; i++) {
		if (i >= v->ncount)
			break;
		__u32 slot = v->count[i];
		if (slot < MAX_RULES)
			count(gen, slot, bytes);
	}
	__u32 slot = v->slot;
	if (slot > SLOT_DEFAULT)
		slot = SLOT_DEFAULT;
	return finish(gen, v->action, slot, bytes);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
