"""The emulated internet of scripts/netsim: cities, one-way delays, node addresses, shortest paths.

Cities are ordered roughly west to east; the partition scenario cuts the list in two. One-way
delays are about half the typical round trip between data centres of the two cities (the eight
cities of scripts/testnet-local keep its values). Two nodes in one city are 1 ms apart.

Every node gets an address in 10.0.0.0/8: 10.(1 + 16*city + provider).(k + 1).1, where the
provider (0-3) cycles over the nodes of a city; so a /16 network group is one provider in one city,
and outbound selection by group spreads a node's peers over providers and cities as on the internet.
"""
import heapq
import random
import sys

CITIES = ["sanfrancisco", "toronto", "nyc", "saopaulo", "london", "frankfurt",
          "johannesburg", "mumbai", "singapore", "tokyo", "sydney"]

ONE_WAY_MS = {
    ("nyc", "london"): 38, ("nyc", "frankfurt"): 42, ("nyc", "singapore"): 115, ("nyc", "sydney"): 100,
    ("nyc", "saopaulo"): 60, ("nyc", "tokyo"): 90, ("nyc", "toronto"): 10,
    ("london", "frankfurt"): 8, ("london", "singapore"): 85, ("london", "sydney"): 130, ("london", "saopaulo"): 95,
    ("london", "tokyo"): 110, ("london", "toronto"): 45,
    ("frankfurt", "singapore"): 80, ("frankfurt", "sydney"): 140, ("frankfurt", "saopaulo"): 100,
    ("frankfurt", "tokyo"): 115, ("frankfurt", "toronto"): 50,
    ("singapore", "sydney"): 46, ("singapore", "saopaulo"): 165, ("singapore", "tokyo"): 35, ("singapore", "toronto"): 110,
    ("sydney", "saopaulo"): 155, ("sydney", "tokyo"): 55, ("sydney", "toronto"): 105,
    ("saopaulo", "tokyo"): 130, ("saopaulo", "toronto"): 70,
    ("tokyo", "toronto"): 80,
    ("sanfrancisco", "nyc"): 35, ("sanfrancisco", "toronto"): 33, ("sanfrancisco", "london"): 68,
    ("sanfrancisco", "frankfurt"): 75, ("sanfrancisco", "singapore"): 85, ("sanfrancisco", "sydney"): 70,
    ("sanfrancisco", "saopaulo"): 90, ("sanfrancisco", "tokyo"): 54, ("sanfrancisco", "mumbai"): 115,
    ("sanfrancisco", "johannesburg"): 145,
    ("mumbai", "nyc"): 95, ("mumbai", "toronto"): 100, ("mumbai", "london"): 55, ("mumbai", "frankfurt"): 55,
    ("mumbai", "singapore"): 28, ("mumbai", "sydney"): 75, ("mumbai", "saopaulo"): 150, ("mumbai", "tokyo"): 60,
    ("mumbai", "johannesburg"): 70,
    ("johannesburg", "nyc"): 115, ("johannesburg", "toronto"): 120, ("johannesburg", "london"): 80,
    ("johannesburg", "frankfurt"): 80, ("johannesburg", "singapore"): 95, ("johannesburg", "sydney"): 135,
    ("johannesburg", "saopaulo"): 60, ("johannesburg", "tokyo"): 140,
}
SAME_CITY_MS = 1.0
SEED_CITIES = ["nyc", "london", "singapore"]  # where the real testnet seeds are
PROVIDERS_PER_CITY = 4


def city_delay(a, b):
    if a == b:
        return SAME_CITY_MS
    delay = ONE_WAY_MS.get((a, b), ONE_WAY_MS.get((b, a)))
    if delay is None:
        raise KeyError(f"no delay for {a}-{b}")
    return float(delay)


def plan(node_count, seed_count, rng_seed):
    """The nodes: index, name, city, address, seed flag. Seeds first, in SEED_CITIES; the others
    spread evenly over the cities in an order shuffled by rng_seed."""
    rng = random.Random(rng_seed)
    order = CITIES[:]
    rng.shuffle(order)
    per_city = {city: 0 for city in CITIES}
    nodes = []
    for index in range(node_count):
        if index < seed_count:
            city = SEED_CITIES[index % len(SEED_CITIES)]
        else:
            city = order[(index - seed_count) % len(order)]
        k = per_city[city]
        per_city[city] += 1
        provider = k % PROVIDERS_PER_CITY
        address = f"10.{1 + 16 * CITIES.index(city) + provider}.{k // PROVIDERS_PER_CITY + 1}.1"
        name = f"seed{index}" if index < seed_count else f"n{index:03d}"
        nodes.append({"index": index, "name": name, "city": city, "address": address, "seed": index < seed_count})
    return nodes


def delay_matrix(nodes):
    return [[0.0 if a is b else city_delay(a["city"], b["city"]) for b in nodes] for a in nodes]


def matrix_lines(nodes, cut=None):
    """wanlink --matrix lines for every pair; pairs across `cut` (a set of indexes: one side) are dropped."""
    lines = []
    for a in nodes:
        for b in nodes:
            if b["index"] <= a["index"]:
                continue
            if cut is not None and ((a["index"] in cut) != (b["index"] in cut)):
                lines.append(f"{a['index']} {b['index']} drop")
            else:
                lines.append(f"{a['index']} {b['index']} {city_delay(a['city'], b['city']):g}")
    return lines


def shortest_paths(source, count, edges):
    """Dijkstra from source over edges {node: [(neighbour, weight)]}; unreachable = inf."""
    distance = [float("inf")] * count
    distance[source] = 0.0
    queue = [(0.0, source)]
    while queue:
        d, node = heapq.heappop(queue)
        if d > distance[node]:
            continue
        for neighbour, weight in edges.get(node, ()):
            candidate = d + weight
            if candidate < distance[neighbour]:
                distance[neighbour] = candidate
                heapq.heappush(queue, (candidate, neighbour))
    return distance


def full_mesh_edges(matrix):
    count = len(matrix)
    return {a: [(b, matrix[a][b]) for b in range(count) if b != a] for a in range(count)}


def overlay_edges(matrix, connections):
    """Edges of the connection graph (pairs of node indexes), weighted by one-way delay."""
    edges = {}
    for a, b in connections:
        edges.setdefault(a, []).append((b, matrix[a][b]))
        edges.setdefault(b, []).append((a, matrix[a][b]))
    return edges


def main(argv):
    """`plan N SEEDS RNG_SEED`: one line per node, "index name city address seed(0|1)";
    `matrix N SEEDS RNG_SEED`: the wanlink --matrix file of that plan."""
    command, count, seeds, rng_seed = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    nodes = plan(count, seeds, rng_seed)
    if command == "plan":
        for node in nodes:
            print(node["index"], node["name"], node["city"], node["address"], int(node["seed"]))
    elif command == "matrix":
        print("\n".join(matrix_lines(nodes)))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
