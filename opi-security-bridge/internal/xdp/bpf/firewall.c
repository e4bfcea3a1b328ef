// XDP firewall of the OPI security bridge.
//
// Classification is a linear bit-vector search, as in bpf-iptables: rule i
// is bit i (rules sorted by priority). Userspace (internal/xdp/classify.go)
// gives every value a packet can have in each field (source prefix,
// destination prefix, protocol with source port, protocol with destination
// port) a class, and every class the bitmap of the rules that match it in
// that field, wildcards included. A packet costs four lookups for its
// classes, four for their bitmaps, and a walk over the words of the rule
// set ANDing the four bitmaps: the first set bit is the rule that decides
// (COUNT rules before it are counted). Any rule set loads, since nothing is
// precomputed per combination of fields; the price is a walk of
// rules/64 words per packet, done 16 words (a chunk) per step with
// bpf_loop, skipping the words the classes' anchored masks rule out.
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

/* A rule bitmap: WORDS words, searched CHUNK words per bpf_loop step (one
 * call per step costs more than the eight ANDs it saves). */
#define WORDS (MAX_RULES / 64)
#define CHUNK 16
#define CHUNKS (WORDS / CHUNK) /* at most 16: the bits of a chunk mask */

/* Port slots: 65536 ports plus a "no ports" slot (non-first fragments) for
 * each of TCP, UDP and SCTP, then one slot each for any other protocol,
 * ICMP and ICMPv6. */
#define PORT_SPAN 65537
#define PORT_NONE 65536
#define PORT_OTHER (3 * PORT_SPAN)
#define PORT_SLOTS (3 * PORT_SPAN + 3)

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

struct class_key {
	__u32 gen;
	__u32 class;
};

/* The rules a class matches, bit i for rule i, and for each dimension
 * the class may be used in (source, destination, source port, destination
 * port) the words holding a rule of the class anchored in that dimension
 * (bit j: word j). Every rule is anchored in the one dimension where it is
 * most selective (its source prefix, say), or in none (gen_settings.always):
 * a rule that matches a packet is in its anchor dimension's class, so the
 * words outside the union of the packet's four masks hold no rule that can
 * match it, and the search skips them. */
#define MASK_WORDS (WORDS / 64)
struct bitmap {
	__u64 w[WORDS];
	__u64 anchored[4][MASK_WORDS];
};

struct gen_settings {
	__u32 default_action;
	__u32 default_slot; /* counter slot for packets no rule decides */
	__u64 fingerprint;
	__u32 chunks;       /* CHUNK-word steps the rule set spans */
	__u32 pad;
	__u64 always[MASK_WORDS]; /* words with rules anchored in no dimension */
	__u64 count[WORDS]; /* bits of the COUNT rules */
	__u64 drop[WORDS];  /* bits of the DROP rules; other deciding rules ALLOW */
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

/* Bitmaps by (generation, class). Not preallocated: a rule set holds one
 * per distinct class it has, 2 KiB each. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 20);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct class_key);
	__type(value, struct bitmap);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bitmaps SEC(".maps");

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

/* bounded returns x & mask, computed on the register that is then used to
 * index, so the verifier sees the bound. Without the empty asm the compiler
 * drops the mask after a comparison that already bounds x, and indexes
 * with a copy the verifier knows nothing about. */
#define bounded(x, mask)                           \
	({                                             \
		__u32 __v = (x);                           \
		asm volatile("" : "+r"(__v));              \
		__v & (mask);                              \
	})

/* ctz64 is the index of the lowest set bit of x, which is not 0: the
 * number of bits below it, counted without branches (a branch per step
 * would multiply the paths the verifier walks in count_word's loop). */
static __always_inline __u32 ctz64(__u64 x)
{
	x = (x & -x) - 1;
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* A search of the rule bitmaps for one packet: bpf_loop's context. */
struct search {
	struct bitmap *b0, *b1, *b2, *b3; /* the packet's classes' bitmaps */
	struct gen_settings *set;
	__u64 bytes;
	__u64 first;   /* the deciding rule's bit in its word */
	__u32 word;    /* the deciding rule's word; WORDS while none */
	__u32 counted; /* whether COUNT rules matched on the way */
	__u32 gen;
	__u64 cand[MASK_WORDS]; /* the words that may hold a matching rule */
};

/* find_decider ANDs the four bitmaps over one chunk of CHUNK words and
 * stops at the first word with a deciding rule. Most chunks of a large rule
 * set match nothing: they cost their loads and ANDs, at fixed offsets from
 * one pointer per bitmap, and nothing else; the words are ANDed again, with
 * the COUNT rules' mask, only in a chunk where something matched. Counting
 * is left to count_word: an inner loop here, unrolled CHUNK times, would be
 * more than the verifier explores. */
static long find_decider(__u32 chunk, void *ctx)
{
	struct search *s = ctx;

	if (chunk >= CHUNKS)
		return 1;
	chunk = bounded(chunk, CHUNKS - 1);
	/* The chunk's 16 words' bits in the candidate mask. */
	__u64 cand = (s->cand[bounded(chunk / 4, MASK_WORDS - 1)] >> ((chunk % 4) * CHUNK)) & 0xffff;
	if (!cand)
		return 0; /* no rule of this chunk can match the packet */
	__u32 base = chunk * CHUNK;
	__u64 *p0 = &s->b0->w[base], *p1 = &s->b1->w[base];
	__u64 *p2 = &s->b2->w[base], *p3 = &s->b3->w[base];
	__u64 any = 0;

	/* A word outside the mask ANDs to zero (no rule there matches), so
	 * skipping it only saves work; a chunk whose every word is a
	 * candidate is ANDed without the tests. */
	if (cand == 0xffff) {
#pragma unroll
		for (int j = 0; j < CHUNK; j++)
			any |= p0[j] & p1[j] & p2[j] & p3[j];
	} else {
#pragma unroll
		for (int j = 0; j < CHUNK; j++)
			if (cand & (1ULL << j))
				any |= p0[j] & p1[j] & p2[j] & p3[j];
	}
	if (!any)
		return 0;

	__u64 *pc = &s->set->count[base];
	__u64 counting = 0;
#pragma unroll
	for (int j = 0; j < CHUNK; j++) {
		__u64 m = p0[j] & p1[j] & p2[j] & p3[j];
		__u64 d = m & ~pc[j];

		counting |= m & pc[j];
		if (d) {
			s->word = base + j;
			s->first = d & -d;
			s->counted |= counting != 0;
			return 1;
		}
	}
	s->counted |= counting != 0;
	return 0;
}

/* count_word counts the COUNT rules of word w that match, up to the
 * deciding rule; only packets that matched COUNT rules come here. */
static long count_word(__u32 w, void *ctx)
{
	struct search *s = ctx;

	if (w > s->word || w >= WORDS)
		return 1;
	w = bounded(w, WORDS - 1);
	if (!((s->cand[w / 64] >> (w % 64)) & 1))
		return 0;
	__u64 counted = s->b0->w[w] & s->b1->w[w] & s->b2->w[w] & s->b3->w[w] & s->set->count[w];
	if (w == s->word)
		counted &= s->first - 1;
	for (int k = 0; k < 64; k++) {
		if (!counted)
			break;
		count(s->gen, w * 64 + ctz64(counted), s->bytes);
		counted &= counted - 1;
	}
	return 0;
}

static __always_inline struct bitmap *bitmap_of(__u32 gen, __u32 *class)
{
	if (!class || !*class)
		return 0; /* the empty class: no rule matches */
	struct class_key k = {.gen = gen, .class = *class};
	return bpf_map_lookup_elem(&bitmaps, &k);
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

	__u32 key = gen * PORT_SLOTS + f.sport_slot;
	__u32 *spclass = bpf_map_lookup_elem(&sports, &key);
	key = gen * PORT_SLOTS + f.dport_slot;
	__u32 *dpclass = bpf_map_lookup_elem(&dports, &key);

	struct search s = {.set = set, .bytes = bytes, .gen = gen};
	s.b0 = bitmap_of(gen, sclass);
	if (!s.b0)
		return finish(gen, action, dslot, bytes);
	s.b1 = bitmap_of(gen, dclass);
	if (!s.b1)
		return finish(gen, action, dslot, bytes);
	s.b2 = bitmap_of(gen, spclass);
	if (!s.b2)
		return finish(gen, action, dslot, bytes);
	s.b3 = bitmap_of(gen, dpclass);
	if (!s.b3)
		return finish(gen, action, dslot, bytes);

	__u64 any = 0;
#pragma unroll
	for (int k = 0; k < MASK_WORDS; k++) {
		s.cand[k] = s.b0->anchored[0][k] | s.b1->anchored[1][k] | s.b2->anchored[2][k] |
			    s.b3->anchored[3][k] | set->always[k];
		any |= s.cand[k];
	}
	if (!any)
		return finish(gen, action, dslot, bytes);
	__u32 chunks = set->chunks;
	if (chunks > CHUNKS)
		chunks = CHUNKS;
	s.word = WORDS;
	bpf_loop(chunks, find_decider, &s, 0);
	if (s.counted)
		bpf_loop(chunks * CHUNK, count_word, &s, 0);
	__u32 w = s.word;
	if (w >= WORDS)
		return finish(gen, action, dslot, bytes);
	w = bounded(w, WORDS - 1);
	__u32 slot = w * 64 + ctz64(s.first);
	action = (set->drop[w] & s.first) ? ACTION_DROP : ACTION_ALLOW;
	return finish(gen, action, slot, bytes);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
